// The OpenAPI document and the UI that @fastify/swagger builds from the zod schemas: every
// route documented with its parameters, answers and required role; the UI served without a
// token and with a CSP that lets it run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'

type Operation = { summary?: string, description?: string, security?: unknown[], responses: Record<string, unknown>, parameters?: Array<{ name: string, in: string, schema: object }>, requestBody?: { content: Record<string, unknown> } }

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
    // Other routes (figures) are documented too; these are the ones this file knows.
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/health', '/stations', '/stations/{id}', '/stations/{id}/visits', '/stations/{id}/presence', '/stations/import',
      '/stations/{id}/devices', '/devices/{id}/rotate', '/devices/{id}/revoke', '/tokens', '/tokens/{id}/revoke', '/audit', '/session'
    ]))
    expect(Object.keys(doc.paths['/session']).sort()).toEqual(['delete', 'get', 'post'])
    for (const [path, item] of Object.entries<Record<string, Operation>>(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method} ${path}`
        expect(['get', 'post', 'patch', 'delete'], where).toContain(method)
        expect(op.summary, where).toBeTruthy()
        expect(Object.keys(op.responses).length, where).toBeGreaterThan(0)
        for (const p of op.parameters ?? []) expect(p, where).toMatchObject({ name: expect.any(String), in: expect.stringMatching(/^(path|query)$/), schema: expect.any(Object) })
      }
    }
    const visits = doc.paths['/stations/{id}/visits'].get
    expect(visits.parameters.map((p: { in: string, name: string }) => `${p.in}:${p.name}`).sort()).toEqual(['path:id', 'query:from', 'query:to'])
    expect(Object.keys(visits.responses).sort()).toEqual(['200', '400', '401', '404', '429', '500', '503'])
    // Every $ref points at something that exists.
    for (const ref of JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? []) {
      const target = ref.slice(8, -1).replace(/^#\//, '').split('/').reduce((o: any, k) => o?.[k], doc)
      expect(target, ref).toBeDefined()
    }
  })

  it('documents the bearer scheme and each route\'s role and auth answers', async () => {
    const doc = (await get('/docs/json')).json()
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(doc.security).toEqual([{ bearerAuth: [] }, { sessionCookie: [] }])
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'wst_session' })
    const op = (path: string, method: string): Operation => doc.paths[path][method]

    expect(op('/health', 'get').security).toEqual([])
    expect(op('/health', 'get').description).toMatch(/Public/)
    expect(op('/health', 'get').responses['401']).toBeUndefined()
    expect(op('/health', 'get').responses['429']).toBeUndefined() // public routes are not limited

    expect(op('/stations', 'get').security).toEqual([{ bearerAuth: [] }, { sessionCookie: [] }])
    expect(op('/stations', 'get').description).toMatch(/role \*\*viewer\*\*/)
    expect(Object.keys(op('/stations', 'get').responses)).toEqual(expect.arrayContaining(['401', '429']))
    expect(op('/stations', 'get').responses['403']).toBeUndefined()

    for (const [path, method] of [['/stations', 'post'], ['/stations/{id}', 'patch'], ['/tokens', 'get'], ['/tokens', 'post'], ['/audit', 'get'], ['/devices/{id}/rotate', 'post']] as const) {
      expect(op(path, method).description, `${method} ${path}`).toMatch(/role \*\*admin\*\*/)
      expect(Object.keys(op(path, method).responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403', '429']))
    }
    // Bodies are documented, with examples; the import takes CSV.
    expect(Object.keys(op('/stations/import', 'post').requestBody!.content)).toEqual(['text/csv'])
    expect(JSON.stringify(op('/tokens', 'post').requestBody)).toContain('"example"')
    expect(JSON.stringify(op('/stations/{id}/devices', 'post').responses['201'])).toMatch(/shown once/i)
  })

  it('serves the UI at /docs without a token, with a CSP that lets it load', async () => {
    const res = await get('/docs/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toMatch(/script-src 'self'/)
    expect(csp).toMatch(/style-src 'self'/)
    // Served over plain HTTP (demo, LAN), the UI must not send its assets to https://.
    expect(csp).not.toMatch(/upgrade-insecure-requests/)
    for (const asset of ['/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js', '/docs/static/swagger-ui.css']) {
      expect((await get(asset)).statusCode, asset).toBe(200)
    }
    // Everything else keeps the API's CSP, which allows nothing.
    expect((await get('/health')).headers['content-security-policy']).toMatch(/default-src 'none'/)
  })
})
