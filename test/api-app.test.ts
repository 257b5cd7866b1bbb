// The HTTP API against a real registry (SQLite in memory) and a real InfluxDB 1.x: daily
// visit figures in two time zones (one with DST), validation, error shapes and
// startApi. Elsewhere: /health and probes (api-health), failures and malformed requests
// (api-errors), the OpenAPI document (api-docs), calendar maths (api-local-day).
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { InfluxDB } from 'influx'
import { buildApp, type App } from '../api/build-app.ts'
import { createInfluxClient, startApi } from '../api/main.ts'
import { createInfluxProbe } from '../api/probes.ts'
import { ensureDatabase } from '../platform/influx.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry, type Registry } from '../registry/open-registry.ts'
import { startInfluxd, type InfluxServer } from '../scripts/influxd.ts'
import { apiTokens, type ApiTokens } from './support/api-tokens.ts'

// Pseudonymous worker ids, as door controllers derive them.
const W = { a: 'w_' + 'a'.repeat(32), b: 'w_' + 'b'.repeat(32), c: 'w_' + 'c'.repeat(32), d: 'w_' + 'd'.repeat(32), e: 'w_' + 'e'.repeat(32) }

/** A door point in line protocol as ingest writes it: ns = device ms × 1e6 + (seq mod 1e6). */
function door (o: { station: string, at: string, seq: number, worker?: string, direction?: 'in' | 'out', result?: 'granted' | 'denied' }): string {
  const ns = BigInt(Date.parse(o.at)) * 1_000_000n + BigInt(o.seq % 1_000_000)
  const fields = [`seq=${o.seq}i`, ...(o.worker ? [`worker="${o.worker}"`] : [])].join(',')
  return `door,station=${o.station},device=${o.station}-door,direction=${o.direction ?? 'in'},result=${o.result ?? 'granted'},method=card ${fields} ${ns}`
}

async function writeLines (lines: string[]): Promise<void> {
  const url = new URL('/write', influxUrl)
  url.search = new URLSearchParams({ db, precision: 'ns' }).toString()
  const auth = process.env.INFLUX_USERNAME ? { authorization: `Basic ${Buffer.from(`${process.env.INFLUX_USERNAME}:${process.env.INFLUX_PASSWORD ?? ''}`).toString('base64')}` } : {}
  const res = await fetch(url, { method: 'POST', body: lines.join('\n'), headers: auth })
  if (res.status !== 204) throw new Error(`write failed: ${res.status} ${await res.text()}`)
}

const ok = async () => ({ ok: true, latencyMs: 1 })
let server: InfluxServer | undefined
let dataDir: string | undefined
let influxUrl: string
let db: string
let influx: InfluxDB
let registry: Registry
let app: App
let as: ApiTokens

beforeAll(async () => {
  // The vitest global setup provides a server; run alone, the file starts its own.
  influxUrl = inject('influxUrl') ?? process.env.INFLUX_URL ?? ''
  if (!influxUrl) {
    dataDir = await mkdtemp(join(tmpdir(), 'waystation-api-test-'))
    server = await startInfluxd({ dataDir })
    influxUrl = server.url
  }
  db = `api_test_${randomBytes(4).toString('hex')}`
  influx = createInfluxClient({ INFLUX_URL: influxUrl, INFLUX_DB: db, INFLUX_USERNAME: process.env.INFLUX_USERNAME, INFLUX_PASSWORD: process.env.INFLUX_PASSWORD })
  await ensureDatabase(influx, db)

  registry = openRegistry(':memory:')
  await registry.addStation({ id: 'shanghai-hub', name: 'Jing’an rider station', timezone: 'Asia/Shanghai' })
  await registry.addStation({ id: 'berlin-mitte', name: 'Mitte', timezone: 'Europe/Berlin' })
  await registry.addStation({ id: 'a-first', name: 'Sorts first', timezone: 'Asia/Shanghai' })
  as = await apiTokens(registry)

  await writeLines([
    // 2026-05-01 (UTC+8): 3 visits by 2 workers; an exit is not a visit.
    door({ station: 'shanghai-hub', at: '2026-05-01T10:00:00+08:00', seq: 2, worker: W.a }),
    door({ station: 'shanghai-hub', at: '2026-05-01T12:00:00+08:00', seq: 3, worker: W.b }),
    door({ station: 'shanghai-hub', at: '2026-05-01T12:05:00+08:00', seq: 4, worker: W.b, direction: 'out' }),
    door({ station: 'shanghai-hub', at: '2026-05-01T23:59:00+08:00', seq: 1, worker: W.a }),
    // The same event delivered twice: same timestamp, same tags: one point.
    door({ station: 'shanghai-hub', at: '2026-05-01T23:59:00+08:00', seq: 1, worker: W.a }),
    // 2026-05-02: 00:01 local is still 05-01 in UTC. Two denials (one without a worker),
    // one visit without a worker id (counted as a visit, not as a worker).
    door({ station: 'shanghai-hub', at: '2026-05-02T00:01:00+08:00', seq: 5, worker: W.a }),
    door({ station: 'shanghai-hub', at: '2026-05-02T08:00:00+08:00', seq: 6, worker: W.c, result: 'denied' }),
    door({ station: 'shanghai-hub', at: '2026-05-02T09:00:00+08:00', seq: 7, direction: 'out', result: 'denied' }),
    door({ station: 'shanghai-hub', at: '2026-05-02T09:30:00+08:00', seq: 8 }),
    // 2026-05-03 is empty. 2026-05-04 starts exactly at local midnight.
    door({ station: 'shanghai-hub', at: '2026-05-04T00:00:00+08:00', seq: 9, worker: W.c }),
    // Just outside the range on both sides, and another station inside it.
    door({ station: 'shanghai-hub', at: '2026-04-30T23:59:59.999+08:00', seq: 10, worker: W.d }),
    door({ station: 'shanghai-hub', at: '2026-05-05T00:00:00+08:00', seq: 11, worker: W.d }),
    door({ station: 'a-first', at: '2026-05-02T12:00:00+08:00', seq: 1, worker: W.d }),
    // Berlin, spring forward on 2026-03-29 (a 23 h day).
    door({ station: 'berlin-mitte', at: '2026-03-28T23:30:00+01:00', seq: 1, worker: W.a }),
    door({ station: 'berlin-mitte', at: '2026-03-29T00:30:00+01:00', seq: 2, worker: W.b }),
    door({ station: 'berlin-mitte', at: '2026-03-29T23:30:00+02:00', seq: 3, worker: W.b }),
    door({ station: 'berlin-mitte', at: '2026-03-30T00:30:00+02:00', seq: 4, worker: W.c }),
    door({ station: 'berlin-mitte', at: '2026-03-30T00:31:00+02:00', seq: 5, worker: W.c, result: 'denied' }),
    // Berlin, fall back on 2026-10-25 (a 25 h day; 02:30 happens twice).
    door({ station: 'berlin-mitte', at: '2026-10-24T23:59:59+02:00', seq: 6, worker: W.a }),
    door({ station: 'berlin-mitte', at: '2026-10-25T00:00:00+02:00', seq: 7, worker: W.b }),
    door({ station: 'berlin-mitte', at: '2026-10-25T02:30:00+02:00', seq: 8, worker: W.b }),
    door({ station: 'berlin-mitte', at: '2026-10-25T02:30:00+01:00', seq: 9, worker: W.c }),
    door({ station: 'berlin-mitte', at: '2026-10-25T23:30:00+01:00', seq: 10, worker: W.d }),
    door({ station: 'berlin-mitte', at: '2026-10-26T00:00:00+01:00', seq: 11, worker: W.e })
  ])

  app = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: ok, broker: ok } })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
  await influx?.dropDatabase(db).catch(() => {})
  registry?.close()
  await server?.stop()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

// Figures need a token (test/security-api.test.ts covers who may call what).
const get = (url: string) => app.inject({ method: 'GET', url, headers: as.viewer })
const day = (date: string, visits: number, uniqueWorkers: number, denied: number) => ({ date, visits, uniqueWorkers, denied })

describe('GET /stations/:id/visits', () => {
  it('counts per local day in Asia/Shanghai, empty days as zeros', async () => {
    const res = await get('/stations/shanghai-hub/visits?from=2026-05-01&to=2026-05-04')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      stationId: 'shanghai-hub',
      timezone: 'Asia/Shanghai',
      from: '2026-05-01',
      to: '2026-05-04',
      days: [day('2026-05-01', 3, 2, 0), day('2026-05-02', 2, 1, 2), day('2026-05-03', 0, 0, 0), day('2026-05-04', 1, 1, 0)],
      // Distinct over the range: a, b, c (the daily counts add up to 4).
      totals: { visits: 6, uniqueWorkers: 3, denied: 2 }
    })
  })

  it('returns every day of a range without any data', async () => {
    const res = await get('/stations/shanghai-hub/visits?from=2025-12-30&to=2026-01-02')
    expect(res.statusCode).toBe(200)
    expect(res.json().days).toEqual(['2025-12-30', '2025-12-31', '2026-01-01', '2026-01-02'].map((d) => day(d, 0, 0, 0)))
    expect(res.json().totals).toEqual({ visits: 0, uniqueWorkers: 0, denied: 0 })
  })

  it('handles a one-day range and keeps stations apart', async () => {
    const res = await get('/stations/a-first/visits?from=2026-05-02&to=2026-05-02')
    expect(res.json().days).toEqual([day('2026-05-02', 1, 1, 0)])
  })

  it('puts events on the right day around a 23 h DST day (Europe/Berlin, spring)', async () => {
    const res = await get('/stations/berlin-mitte/visits?from=2026-03-28&to=2026-03-30')
    expect(res.statusCode).toBe(200)
    expect(res.json().days).toEqual([day('2026-03-28', 1, 1, 0), day('2026-03-29', 2, 1, 0), day('2026-03-30', 1, 1, 1)])
    expect(res.json().totals).toEqual({ visits: 4, uniqueWorkers: 3, denied: 1 })
  })

  it('puts events on the right day around a 25 h DST day (Europe/Berlin, autumn)', async () => {
    const res = await get('/stations/berlin-mitte/visits?from=2026-10-24&to=2026-10-26')
    expect(res.json().days).toEqual([day('2026-10-24', 1, 1, 0), day('2026-10-25', 4, 3, 0), day('2026-10-26', 1, 1, 0)])
    expect(res.json().totals).toEqual({ visits: 6, uniqueWorkers: 5, denied: 0 })
  })

  it('accepts a 366-day range and returns 366 rows', async () => {
    const res = await get('/stations/shanghai-hub/visits?from=2025-06-01&to=2026-06-01')
    expect(res.statusCode).toBe(200)
    const { days, totals } = res.json()
    expect(days).toHaveLength(366)
    expect(days[0].date).toBe('2025-06-01')
    expect(days.at(-1).date).toBe('2026-06-01')
    expect(totals).toEqual({ visits: 8, uniqueWorkers: 4, denied: 2 })
  })

  it.each([
    ['from=2026-02-30&to=2026-03-01', 'querystring.from'],
    ['from=2026-5-1&to=2026-05-02', 'querystring.from'],
    ['from=2026-05-01', 'querystring.to: required'],
    ['from=2026-05-01&to=tomorrow', 'querystring.to'],
    ['from=2026-05-03&to=2026-05-01', 'is before from'],
    ['from=2025-01-01&to=2026-01-02', 'at most 366 days'],
    ['from=1900-01-01&to=1900-01-02', 'between 1970-01-01'],
    ['from=2026-05-01&to=2026-05-02&from=2026-05-03', 'querystring.from']
  ])('400 for %s', async (qs, fragment) => {
    const res = await get(`/stations/shanghai-hub/visits?${qs}`)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ error: 'Bad Request', statusCode: 400 })
    expect(res.json().message).toContain(fragment)
  })

  it('404 for an unknown station, 400 for an invalid id', async () => {
    const missing = await get('/stations/nowhere/visits?from=2026-05-01&to=2026-05-02')
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ error: 'Not Found', message: 'station nowhere not found', statusCode: 404 })
    expect((await get('/stations/__proto__/visits?from=2026-05-01&to=2026-05-02')).statusCode).toBe(400)
  })
})

describe('GET /stations and /stations/:id', () => {
  it('lists stations ordered by id', async () => {
    const res = await get('/stations')
    expect(res.statusCode).toBe(200)
    expect(res.json().stations.map((s: { id: string }) => s.id)).toEqual(['a-first', 'berlin-mitte', 'shanghai-hub'])
  })

  it('returns one station', async () => {
    const res = await get('/stations/berlin-mitte')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ id: 'berlin-mitte', name: 'Mitte', timezone: 'Europe/Berlin', capacity: 10, lat: null })
  })

  it('404 with the uniform body for an unknown station', async () => {
    const res = await get('/stations/xyz')
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: 'Not Found', message: 'station xyz not found', statusCode: 404 })
  })

  it.each([
    ["'; DROP", encodeURIComponent("'; DROP MEASUREMENT door; --")],
    ['10 kB', 'a'.repeat(10_000)],
    ['__proto__', '__proto__'],
    ['constructor', 'Constructor'],
    ['trailing dash', 'abc-'],
    ['unicode', encodeURIComponent('站点')]
  ])('400 for an invalid id (%s)', async (_name, id) => {
    const res = await get(`/stations/${id}`)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ error: 'Bad Request', statusCode: 400 })
    expect(res.json().message).toMatch(/^params\.id: station id/)
    // The bad value is never echoed back.
    expect(res.body.length).toBeLessThan(300)
  })
})

describe('GET /health', () => {
  it('pings the real InfluxDB', async () => {
    const app2 = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: createInfluxProbe(influx), broker: ok } })
    const res = await app2.inject({ url: '/health' })
    await app2.close()
    expect(res.statusCode).toBe(200)
    expect(res.json().checks.influx).toMatchObject({ ok: true, detail: expect.stringMatching(/^InfluxDB \d/) })
  })
})

describe('startApi', () => {
  it('listens with the default probes and closes', async () => {
    const api = await startApi({
      config: { API_HOST: '127.0.0.1', API_PORT: 0, INFLUX_URL: influxUrl, INFLUX_DB: db, BROKER_URL: 'mqtt://127.0.0.1:9', STATION_OFFLINE_AFTER_S: 300 },
      logger: createLogger('silent'),
      registry
    })
    try {
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const visits = await fetch(`${api.url}/stations/shanghai-hub/visits?from=2026-05-02&to=2026-05-02`, { headers: as.viewer })
      expect(await visits.json()).toMatchObject({ totals: { visits: 2, uniqueWorkers: 1, denied: 2 } })
      // Nothing listens on port 9: the broker check fails, InfluxDB's passes.
      const health = await fetch(`${api.url}/health`)
      expect(health.status).toBe(503)
      expect(await health.json()).toMatchObject({ status: 'degraded', checks: { influx: { ok: true }, broker: { ok: false }, registry: { ok: true } } })
    } finally {
      await api.close()
    }
    await expect(fetch(`${api.url}/health`)).rejects.toThrow()
  })
})

describe('unknown routes', () => {
  it('404 JSON', async () => {
    const res = await get('/nope?x=1')
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.json()).toEqual({ error: 'Not Found', message: 'route GET /nope not found', statusCode: 404 })
  })
})
