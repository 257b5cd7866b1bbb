// How the API answers when the time-series store or its own code fails (503 when InfluxDB
// cannot be reached, 500 with a generic message otherwise, never a secret in the response
// or the log) and when a request is malformed below the level of schemas. InfluxDB is
// played by small HTTP servers so that each failure is exact.
import { createServer, request, type RequestListener, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { InfluxDB } from 'influx'
import { pino } from 'pino'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import type { Registry } from '../registry/open-registry.ts'
import { apiTokens } from './support/api-tokens.ts'
import { openTestRegistry } from './support/test-registry.ts'

const ok = async () => ({ ok: true })
const VISITS = '/stations/shanghai-hub/visits?from=2026-05-01&to=2026-05-07'
const servers: Server[] = []

async function fakeInflux (handler: RequestListener): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => { s.closeAllConnections(); s.close(resolve) })
})

async function setup (influx: InfluxDB, given?: Registry) {
  const registry = given ?? await stationRegistry()
  const lines: string[] = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(line) } })
  const app = buildApp({ registry, influx, logger, probes: { influx: ok, broker: ok } })
  return { app, logs: () => lines.join(''), as: await apiTokens(registry) }
}

async function stationRegistry (): Promise<Registry> {
  const registry = await openTestRegistry()
  await registry.addStation({ id: 'shanghai-hub', name: 'Hub', timezone: 'Asia/Shanghai' })
  return registry
}

const GENERIC_500 = { error: 'Internal Server Error', message: 'internal server error', statusCode: 500 }
const UNAVAILABLE = { error: 'Service Unavailable', message: 'time-series store unavailable', statusCode: 503 }

describe('time-series store failures', () => {
  it('503 when nothing listens', async () => {
    const { app, as } = await setup(createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'waystation' }))
    const res = await app.inject({ url: VISITS, headers: as.viewer })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.json()).toEqual(UNAVAILABLE)
    await app.close()
  })

  it('503 when InfluxDB answers 5xx', async () => {
    const url = await fakeInflux((_req, res) => { res.writeHead(503).end('overloaded') })
    const { app, as } = await setup(createInfluxClient({ INFLUX_URL: url, INFLUX_DB: 'waystation' }))
    expect((await app.inject({ url: VISITS, headers: as.viewer })).json()).toEqual(UNAVAILABLE)
    await app.close()
  })

  it('503 when InfluxDB does not answer in time', async () => {
    const url = new URL(await fakeInflux(() => { /* never answers */ }))
    const influx = new InfluxDB({ host: url.hostname, port: Number(url.port), database: 'waystation', pool: { requestTimeout: 200, maxRetries: 0 } })
    const { app, as } = await setup(influx)
    const res = await app.inject({ url: VISITS, headers: as.viewer })
    expect(res.statusCode).toBe(503)
    await app.close()
  })

  it('500 without details when a statement fails (database not found)', async () => {
    const url = await fakeInflux((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ results: [{ statement_id: 0, error: 'database not found: waystation_secret_name' }] }))
    })
    const { app, logs, as } = await setup(createInfluxClient({ INFLUX_URL: url, INFLUX_DB: 'waystation' }))
    const res = await app.inject({ url: VISITS, headers: as.viewer })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual(GENERIC_500)
    expect(logs()).toContain('database not found: waystation_secret_name')
    await app.close()
  })

  it('never logs the credentials node-influx puts in its errors', async () => {
    let seenAuth = ''
    const url = await fakeInflux((req, res) => {
      seenAuth = req.headers.authorization ?? ''
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"authorization failed"}')
    })
    const { app, logs, as } = await setup(createInfluxClient({ INFLUX_URL: url, INFLUX_DB: 'waystation', INFLUX_USERNAME: 'reader', INFLUX_PASSWORD: 'hunter2-s3cret' }))
    const res = await app.inject({ url: VISITS, headers: as.viewer })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual(GENERIC_500)
    // The request did carry the credentials; the log has the error, but not them.
    expect(seenAuth).toBe(`Basic ${Buffer.from('reader:hunter2-s3cret').toString('base64')}`)
    expect(logs()).toContain('authorization failed')
    expect(logs()).not.toContain('hunter2')
    // Nor the caller's bearer token (whole, or its secret part).
    // `wst_<id>_<secret>`; the base64url secret may itself contain '_', so take all after the id.
    expect(logs()).not.toContain(as.secrets.viewer.split('_').slice(2).join('_'))
    expect(logs()).not.toContain(seenAuth.slice(6))
    expect(logs().toLowerCase()).not.toContain('authorization":')
    await app.close()
  })
})

describe('unexpected errors', () => {
  it('500 with a generic message, details only in the log', async () => {
    const registry = await stationRegistry()
    const broken = { ...registry, listStations: () => { throw new Error('SQLITE_CORRUPT at /var/lib/waystation/registry.sqlite') } }
    const { app, logs, as } = await setup(createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'waystation' }), broken)
    const res = await app.inject({ url: '/stations', headers: as.viewer })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual(GENERIC_500)
    expect(res.body).not.toContain('SQLITE')
    expect(logs()).toContain('SQLITE_CORRUPT')
    await app.close()
  })

  it('Fastify\'s own client errors keep the shape (malformed JSON body)', async () => {
    const { app, as } = await setup(createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'waystation' }))
    const post = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/stations', payload: '{', headers: { 'content-type': 'application/json', ...headers } })
    const res = await post(as.admin)
    expect(res.statusCode).toBe(400)
    expect(Object.keys(res.json()).sort()).toEqual(['error', 'message', 'statusCode'])
    // Authentication comes first: an anonymous body is never parsed.
    expect((await post({})).statusCode).toBe(401)
    await app.close()
  })
})

describe('over a real socket', () => {
  // app.inject() resolves dot segments the way a browser would (/stations/.. becomes /),
  // but a raw HTTP request reaches the router verbatim.
  const raw = (port: number, path: string, headers: Record<string, string>) => new Promise<{ status: number, body: string }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject).end()
  })

  it('400 for dot segments and broken encodings, with the uniform body', async () => {
    const { app: app2, as } = await setup(createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'waystation' }))
    await app2.listen({ host: '127.0.0.1', port: 0 })
    try {
      const { port } = app2.server.address() as { port: number }
      for (const path of ['/stations/..', '/stations/%2E%2E', '/stations/..%2F..%2Fetc%2Fpasswd', '/stations/%00', '/stations/a%', '/stations/a%zz/visits?from=2026-05-01&to=2026-05-01']) {
        const res = await raw(port, path, as.viewer)
        expect(res.status, path).toBe(400)
        expect(Object.keys(JSON.parse(res.body)).sort(), path).toEqual(['error', 'message', 'statusCode'])
      }
    } finally {
      await app2.close()
    }
  })
})
