// The OpenAPI document and the UI that @fastify/swagger builds from the zod schemas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'

let app: App
const get = (url: string) => app.inject({ method: 'GET', url })

beforeAll(async () => {
  const ok = async () => ({ ok: true })
  const influx = createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'waystation' })
  app = buildApp({ registry: openRegistry(':memory:'), influx, logger: createLogger('silent'), probes: { influx: ok, broker: ok }, version: '1.2.3' })
  await app.ready()
})

afterAll(() => app.close())

describe('OpenAPI', () => {
  it('serves a document listing every route', async () => {
    const res = await get('/docs/json')
    expect(res.statusCode).toBe(200)
    const doc = res.json()
    expect(doc.openapi).toMatch(/^3\.0\.\d$/)
    expect(doc.info).toMatchObject({ title: 'Waystation API', version: '1.2.3' })
    expect(Object.keys(doc.paths).sort()).toEqual(['/health', '/stations', '/stations/{id}', '/stations/{id}/visits'])
    for (const [path, item] of Object.entries<Record<string, { responses: object, parameters?: Array<{ name: string, in: string, schema: object }> }>>(doc.paths)) {
      expect(Object.keys(item), path).toEqual(['get'])
      expect(Object.keys(item.get!.responses).length, path).toBeGreaterThan(0)
      for (const p of item.get!.parameters ?? []) expect(p, path).toMatchObject({ name: expect.any(String), in: expect.stringMatching(/^(path|query)$/), schema: expect.any(Object) })
    }
    const visits = doc.paths['/stations/{id}/visits'].get
    expect(visits.parameters.map((p: { in: string, name: string }) => `${p.in}:${p.name}`).sort()).toEqual(['path:id', 'query:from', 'query:to'])
    expect(Object.keys(visits.responses).sort()).toEqual(['200', '400', '404', '500', '503'])
    // Every $ref points at something that exists.
    for (const ref of JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? []) {
      const target = ref.slice(8, -1).replace(/^#\//, '').split('/').reduce((o: any, k) => o?.[k], doc)
      expect(target, ref).toBeDefined()
    }
  })

  it('serves the UI at /docs', async () => {
    const res = await get('/docs/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
  })
})
