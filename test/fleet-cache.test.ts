// The cache of fleet answers of complete months (api/fleet-cache/): a cached answer is the
// computed one, byte for byte; a rewrite of the month by the rollup job, a renamed or added
// station invalidate it; a scoped token never gets another scope's rows; the warmer fills it.
// On the fixture of test/support/figure-fixture.ts (its month 2026-05 is over).
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../api/build-app.ts'
import { createFigureSource } from '../api/figures/figure-source.ts'
import { createFleetCache } from '../api/fleet-cache/fleet-cache.ts'
import { lastCompleteMonth, startFleetWarmer } from '../api/fleet-cache/warm-fleet.ts'
import { createLogger } from '../platform/logger.ts'
import { createAdmin } from '../registry/admin.ts'
import { bearer, mintToken } from './support/api-tokens.ts'
import { A, B, lateUpload, rolledUpFixture, type FigureFixture } from './support/figure-fixture.ts'

const SUMMARY = '/fleet/summary?from=2026-05-01&to=2026-05-31'
const REPORT = '/fleet/reports/2026-05'
const logger = createLogger('silent')

let fx: FigureFixture
let uncached: App
beforeAll(async () => {
  fx = await rolledUpFixture('2026-05-01', '2026-05-31')
  // The same data through an app without the cache: what every answer must equal.
  uncached = buildApp({ registry: fx.registry, influx: fx.influx, logger, probes: { influx: async () => ({ ok: true }), broker: async () => ({ ok: true }) }, rollups: { dirtyBetween: fx.state.dirtyBetween, firstSeen: fx.state.firstSeen, monthGeneration: fx.state.monthGeneration }, fleetCache: null })
  await uncached.ready()
})
afterAll(async () => { await uncached?.close(); await fx?.close() })

async function viewer () { return bearer(await mintToken(fx.registry, 'viewer')) }
async function get (app: App, url: string, headers: Record<string, string>) {
  const res = await app.inject({ method: 'GET', url, headers })
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200)
  return res
}
/** The cached app's answer and the uncached one's, as sent. */
async function both (url: string, headers: Record<string, string>) {
  const cached = await get(fx.app, url, headers)
  const computed = await get(uncached, url, headers)
  return { cached, computed }
}
// CSV and XLSX carry the time they were made: compared without that line.
const withoutGeneratedAt = (csv: string) => csv.split('\r\n').filter((l) => !/\d{4}-\d\d-\d\d \d\d:\d\d/.test(l)).join('\r\n')

describe('fleet cache', () => {
  it('a cached answer is the computed one (summary, JSON, CSV, XLSX; compressed forms too)', async () => {
    const as = await viewer()
    for (const url of [SUMMARY, `${SUMMARY}&sort=uniqueWorkers`, `${REPORT}?format=json`]) {
      const first = await both(url, as)
      expect(first.cached.headers['x-cache']).toBe('miss')
      const again = await both(url, as)
      expect(again.cached.headers['x-cache']).toBe('hit')
      expect(again.computed.headers['x-cache']).toBeUndefined()
      expect(again.cached.body).toBe(again.computed.body)
      expect(first.cached.body).toBe(again.cached.body)
      expect(again.cached.headers['content-type']).toBe(again.computed.headers['content-type'])
    }
    for (const lang of ['zh-CN', 'en']) {
      const { cached, computed } = await both(`${REPORT}?format=csv&lang=${lang}`, as)
      expect(withoutGeneratedAt(cached.body)).toBe(withoutGeneratedAt(computed.body))
      expect(cached.body.split('\r\n').length).toBe(computed.body.split('\r\n').length)
      for (const h of ['content-type', 'content-disposition', 'content-language']) expect(cached.headers[h], h).toBe(computed.headers[h])
      expect(cached.headers.vary).toBe('Accept, Accept-Language, Accept-Encoding')
    }
    const xlsx = await both(`${REPORT}?format=xlsx`, as)
    expect(xlsx.cached.rawPayload.subarray(0, 2).toString()).toBe('PK')
    expect(xlsx.cached.headers['content-type']).toBe(xlsx.computed.headers['content-type'])
    expect((await get(fx.app, `${REPORT}?format=xlsx`, as)).rawPayload.equals(xlsx.cached.rawPayload)).toBe(true)
    // Compressed once, and still the same answer.
    const plain = (await get(uncached, SUMMARY, as)).body
    const br = await get(fx.app, SUMMARY, { ...as, 'accept-encoding': 'gzip, br' })
    expect(br.headers['content-encoding']).toBe('br')
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(plain)
    const gz = await get(fx.app, SUMMARY, { ...as, 'accept-encoding': 'gzip' })
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(gz.rawPayload).toString()).toBe(plain)
  })

  it('the rollup job rewriting the month (a late event) invalidates it', async () => {
    const as = await viewer()
    await get(fx.app, SUMMARY, as)
    await get(fx.app, `${REPORT}?format=json`, as)
    expect((await get(fx.app, SUMMARY, as)).headers['x-cache']).toBe('hit')
    const before = { summary: (await get(fx.app, SUMMARY, as)).json(), report: (await get(fx.app, `${REPORT}?format=json`, as)).json() }
    const generation = await fx.state.monthGeneration('2026-05')
    expect(generation).not.toBeNull()
    // The late upload is stored as ingest stores it, but the job is not told yet: the rollups
    // (and so the computed answer) do not have it, and nothing is marked dirty.
    await fx.writeRaw(lateUpload())
    expect((await get(fx.app, SUMMARY, as)).json()).toEqual(before.summary)
    // Now the job rewrites the day and the month.
    fx.job.markRange([A], '2026-05-05', '2026-05-05')
    await fx.job.drain()
    await fx.job.flushed()
    expect(await fx.state.monthGeneration('2026-05')).not.toBe(generation)
    for (const url of [SUMMARY, `${REPORT}?format=json`]) {
      const { cached, computed } = await both(url, as)
      expect(cached.headers['x-cache']).toBe('miss')
      expect(cached.body).toBe(computed.body)
    }
    const after = (await get(fx.app, SUMMARY, as)).json()
    const visitsOfA = (b: { stations: Array<{ stationId: string, visits: number }> }) => b.stations.find((s) => s.stationId === A)!.visits
    expect(visitsOfA(after)).toBe(visitsOfA(before.summary) + 1)
    const report = (await get(fx.app, `${REPORT}?format=json`, as)).json()
    expect(report.summary.uniqueWorkers).toBe(before.report.summary.uniqueWorkers + 1) // w5 is new to the fleet
  })

  it('days marked dirty are computed, not cached, until the job has run', async () => {
    const as = await viewer()
    await get(fx.app, SUMMARY, as)
    fx.job.markRange([B], '2026-05-10', '2026-05-10')
    await fx.job.flushed()
    const pending = await get(fx.app, SUMMARY, as)
    expect(pending.headers['x-cache']).toBeUndefined()
    expect(pending.json().provenance.pendingDays).toBe(1)
    await fx.job.drain()
    await fx.job.flushed()
    const done = await both(SUMMARY, as)
    expect(done.cached.json().provenance.pendingDays).toBe(0)
    expect(done.cached.body).toBe(done.computed.body)
  })

  it('a renamed or an added station invalidates it', async () => {
    const as = await viewer()
    await get(fx.app, SUMMARY, as)
    await get(fx.app, `${REPORT}?format=csv&lang=en`, as)
    await createAdmin(fx.registry).updateStation('test', B, { name: 'Rast Mitte' })
    const renamed = await both(SUMMARY, as)
    expect(renamed.cached.headers['x-cache']).toBe('miss')
    expect(renamed.cached.json().stations.map((s: { name: string }) => s.name)).toContain('Rast Mitte')
    expect(renamed.cached.body).toBe(renamed.computed.body)
    expect((await get(fx.app, `${REPORT}?format=csv&lang=en`, as)).body).toContain('Rast Mitte')

    fx.registry.addStation({ id: 'sh-c', name: '新站', district: '静安区', timezone: 'Asia/Shanghai', capacity: 4 })
    const added = await both(SUMMARY, as)
    expect(added.cached.json().totals.stations).toBe(3)
    // The new station has no rollups of May: its days come from raw events, which are not cached.
    expect(added.cached.json().provenance.rawDays).toBe(31)
    expect(added.cached.body).toBe(added.computed.body)
    expect((await get(fx.app, SUMMARY, as)).headers['x-cache']).toBe('miss') // computed again, not kept
    // Once the job has rolled it up, the month is cacheable again.
    fx.job.markRange(['sh-c'], '2026-05-01', '2026-05-31')
    await fx.job.drain()
    await fx.job.flushed()
    await get(fx.app, SUMMARY, as)
    const rolled = await both(SUMMARY, as)
    expect(rolled.cached.headers['x-cache']).toBe('hit')
    expect(rolled.cached.json().totals.stations).toBe(3)
    expect(rolled.cached.body).toBe(rolled.computed.body)
  })

  it('a district-scoped token sees its district only, whoever filled the cache', async () => {
    const admin = bearer(await mintToken(fx.registry, 'admin'))
    const jingan = bearer(await mintToken(fx.registry, 'viewer', { scope: { kind: 'district', district: '静安区' } }))
    const mitte = bearer(await mintToken(fx.registry, 'viewer', { scope: { kind: 'district', district: 'Mitte' } }))
    const ids = (b: { stations: Array<{ stationId: string }> }) => b.stations.map((s) => s.stationId).sort()
    for (const url of [SUMMARY, `${REPORT}?format=json`]) {
      // The admin first, then the scoped tokens...
      const first = await get(fx.app, url, admin)
      expect(ids(first.json())).toContain(B)
      const again = await get(fx.app, url, admin)
      expect(again.headers['x-cache'], JSON.stringify([first.headers['x-cache'], first.json().provenance, await fx.state.dirty()])).toBe('hit')
      const j = await both(url, jingan)
      expect(ids(j.cached.json())).not.toContain(B)
      expect(ids(j.cached.json())).toContain(A)
      expect(j.cached.body).toBe(j.computed.body)
      const m = await both(url, mitte)
      expect(ids(m.cached.json())).toEqual([B])
      expect(m.cached.body).toBe(m.computed.body)
    }
    // ...and a scoped token first, then the admin (a fresh month's entries: after a rewrite).
    fx.job.markRange([A], '2026-05-02', '2026-05-02')
    await fx.job.drain()
    await fx.job.flushed()
    const j = await get(fx.app, SUMMARY, jingan)
    expect(j.headers['x-cache']).toBe('miss')
    expect(ids(j.json())).not.toContain(B)
    const all = await both(SUMMARY, admin)
    expect(all.cached.headers['x-cache']).toBe('miss')
    expect(ids(all.cached.json())).toEqual([A, B, 'sh-c'].sort())
    expect(all.cached.body).toBe(all.computed.body)
    // A scoped token's report (its own distinct workers, its own alerts) is its own entry too.
    const csv = await get(fx.app, `${REPORT}?format=csv&lang=en`, mitte)
    expect(csv.body).not.toContain('sh-a')
    expect(csv.body).toContain(B)
  })

  it('the warmer computes the last complete month of every station in the background', async () => {
    const now = () => Date.parse('2026-06-15T12:00:00Z')
    expect(lastCompleteMonth(['Asia/Shanghai', 'Europe/Berlin'], now())).toBe('2026-05')
    // On 1 June in Shanghai it is still 31 May in Berlin: April is the last month over everywhere.
    expect(lastCompleteMonth(['Asia/Shanghai', 'Europe/Berlin'], Date.parse('2026-05-31T20:00:00Z'))).toBe('2026-04')
    expect(lastCompleteMonth([], now())).toBeNull()
    const figures = createFigureSource(fx.influx, { dirtyBetween: fx.state.dirtyBetween, firstSeen: fx.state.firstSeen, monthGeneration: fx.state.monthGeneration })
    const cache = createFleetCache({ registry: fx.registry, figures, maxBytes: 64 * 1024 * 1024, now })
    const warmer = startFleetWarmer({ cache, logger, now, intervalMs: 3_600_000 })
    try {
      await warmer.runOnce()
      expect(cache.stats().entries).toBeGreaterThanOrEqual(8)
      const all = { kind: 'all' } as const
      expect((await cache.summary({ from: '2026-05-01', to: '2026-05-31', sort: 'visits' }, all, 'identity'))?.outcome).toBe('hit')
      for (const format of ['json', 'csv', 'xlsx'] as const) expect((await cache.report('2026-05', {}, all, format, 'zh-CN', 'identity'))?.outcome).toBe('hit')
      // A rewrite of the month: the next round computes it again, and only then.
      fx.job.markRange([B], '2026-05-03', '2026-05-03')
      await fx.job.drain()
      const misses = cache.stats().misses
      await warmer.runOnce()
      expect(cache.stats().misses).toBeGreaterThan(misses)
      expect((await cache.summary({ from: '2026-05-01', to: '2026-05-31', sort: 'visits' }, all, 'br'))?.outcome).toBe('hit')
      // Nothing changed since: a round looks, computes nothing and asks the cache nothing.
      const before = cache.stats()
      await warmer.runOnce()
      expect(cache.stats()).toMatchObject({ misses: before.misses, hits: before.hits })
    } finally {
      await warmer.stop()
    }
  })

  it('the warmer leaves a month without monthly rollups alone (nothing it computed would be kept)', async () => {
    // March has no rollups in the fixture: its answers come from raw days and are not cached.
    const now = () => Date.parse('2026-04-15T12:00:00Z')
    const figures = createFigureSource(fx.influx, { dirtyBetween: fx.state.dirtyBetween, firstSeen: fx.state.firstSeen, monthGeneration: fx.state.monthGeneration })
    const cache = createFleetCache({ registry: fx.registry, figures, maxBytes: 64 * 1024 * 1024, now })
    const warmer = startFleetWarmer({ cache, logger, now, intervalMs: 3_600_000 })
    try {
      expect(await fx.state.monthGeneration('2026-03')).toBeNull()
      await warmer.runOnce()
      await warmer.runOnce()
      expect(cache.stats()).toMatchObject({ misses: 0, entries: 0 })
    } finally {
      await warmer.stop()
    }
  })

  it('lists the stations again after a station write, not after other registry writes (presence)', async () => {
    const figures = createFigureSource(fx.influx, { dirtyBetween: fx.state.dirtyBetween, firstSeen: fx.state.firstSeen, monthGeneration: fx.state.monthGeneration })
    let listings = 0
    const registry = { ...fx.registry, listStations: async () => { listings++; return fx.registry.listStations() } }
    const cache = createFleetCache({ registry, figures, maxBytes: 1024 * 1024 })
    await cache.zones()
    expect(listings).toBe(1)
    // A new device and a presence flush move registry.changeToken(), not the stations' version.
    await fx.registry.addDevice(A, 'sh-a-presence-hub')
    await cache.zones()
    expect(listings).toBe(1) // a device is not a station either
    const t1 = await fx.registry.changeToken()
    await fx.registry.presence.record([{ deviceId: 'sh-a-presence-hub', brokerId: 'b-1', connected: true, lastSeenAt: new Date().toISOString() }])
    expect(await fx.registry.changeToken()).not.toBe(t1)
    await cache.zones()
    expect(listings).toBe(1)
    await createAdmin(fx.registry).updateStation('test', A, { address: 'Neue Adresse 1' })
    await cache.zones()
    expect(listings).toBe(2)
  })

  it('a month that is not over everywhere, or a range that is not a whole month, is not cached', async () => {
    const as = await viewer()
    const partial = await get(fx.app, '/fleet/summary?from=2026-05-01&to=2026-05-30', as)
    expect(partial.headers['x-cache']).toBeUndefined()
    const figures = createFigureSource(fx.influx, { dirtyBetween: fx.state.dirtyBetween, firstSeen: fx.state.firstSeen, monthGeneration: fx.state.monthGeneration })
    // On 31 May in Berlin it is already 1 June in Shanghai: May is not over at station B.
    const cache = createFleetCache({ registry: fx.registry, figures, maxBytes: 64 * 1024 * 1024, now: () => Date.parse('2026-05-31T20:00:00Z') })
    expect(await cache.summary({ from: '2026-05-01', to: '2026-05-31', sort: 'visits' }, { kind: 'all' }, 'identity')).toBeNull()
  })
})
