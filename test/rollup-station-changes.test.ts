// Rollups follow station changes that change their figures (rollups/station-changes.ts):
// capacity, opening hours and time zone changes recompute the days that can still be rebuilt,
// a zone change leaves no day keyed by the old zone, a rename changes nothing, a change made
// by another process (the CLI) is found by the running job, and days past RAW_RETENTION keep
// their rollups. Real influxd, real registry file, the real API.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import type { AnyEvent } from '../contract/index.ts'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createInfluxWrite } from '../ingest/influx-write.ts'
import { eventToLine } from '../ingest/to-line.ts'
import { ensureDatabase, ROLLUP_RETENTION_POLICY } from '../platform/influx.ts'
import { addDays, localDate, localMidnightUtc } from '../platform/local-day.ts'
import { createLogger } from '../platform/logger.ts'
import { createAdmin } from '../registry/admin.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { dateOfYmd, localDayOf } from '../rollups/day-bounds.ts'
import { influxQueryFn } from '../rollups/influx-query.ts'
import { createRollupJob } from '../rollups/rollup-job.ts'
import { openRollupState } from '../rollups/rollup-state.ts'
import { readDays, readMonths } from '../rollups/rollup-store.ts'
import { registryLookup } from '../rollups/station-info.ts'
import { apiTokens } from './support/api-tokens.ts'
import { worker } from './support/device.ts'

const SH = 'Asia/Shanghai'
const LA = 'America/Los_Angeles'
const db = `rollup_changes_${randomBytes(4).toString('hex')}`
const influxUrl = inject('influxUrl')
const influx = createInfluxClient({ INFLUX_URL: influxUrl, INFLUX_DB: db })
const query = influxQueryFn(influx)
const rawWrite = createInfluxWrite({ url: influxUrl, database: db, timeoutMs: 10_000 })
const rollupWrite = createInfluxWrite({ url: influxUrl, database: db, timeoutMs: 10_000, retentionPolicy: ROLLUP_RETENTION_POLICY })
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent')
const dir = mkdtempSync(join(tmpdir(), 'waystation-rollup-changes-'))
const registryPath = join(dir, 'registry.sqlite')
const registry = openRegistry(registryPath)
const admin = createAdmin(registry)
const state = await openRollupState(join(dir, 'rollups.sqlite'), { source: db })
// Not started (no timers) until the cross-process test, the last one: the others check and
// drain by hand.
const job = createRollupJob({ state, stations: registryLookup(registry), query, write: rollupWrite, logger, settingsPollMs: 50 })
const app = buildApp({ registry, influx, logger, probes: { influx: async () => ({ ok: true }), broker: async () => ({ ok: true }) }, rollups: { dirtyBetween: state.dirtyBetween, firstSeen: state.firstSeen } })
let as: Awaited<ReturnType<typeof apiTokens>>

// Days a few days back in Shanghai: inside every retention used here, before today.
const today = localDate(Date.now(), SH)
const at = (date: string, time: string, offset = '+08:00') => Date.parse(`${date}T${time}${offset}`)
let seq = 0
const entry = (station: string, t: number, w: number): AnyEvent =>
  ({ channel: 'door', payload: { device: `${station}-door`, ts: t, seq: ++seq, direction: 'in', method: 'face', result: 'granted', worker: worker(w) } })
const count = (station: string, t: number, n: number): AnyEvent =>
  ({ channel: 'occupancy', payload: { device: `${station}-hub`, ts: t, seq: ++seq, count: n } })

async function store (station: string, events: AnyEvent[], onStored = job.onStored): Promise<void> {
  await rawWrite(events.map((e) => eventToLine(station, e)).join('\n'))
  for (const e of events) onStored(station, e)
}
async function get (url: string) {
  const res = await app.inject({ method: 'GET', url, headers: as.viewer })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}
/** Timestamps and local date (`ymd`, or `ym` of a month) of a station's stored rollup points. */
async function points (measurement: string, station: string, field = 'ymd'): Promise<Array<{ time: number, ymd: number }>> {
  const [series = []] = await query([`SELECT "${field}" FROM "${ROLLUP_RETENTION_POLICY}"."${measurement}" WHERE "station" = $station`], { station })
  return (series[0]?.values ?? []).map((v) => ({ time: v[0] as number, ymd: v[1] as number }))
}

beforeAll(async () => {
  await ensureDatabase(influx, db)
  await app.ready()
  as = await apiTokens(registry)
})
afterAll(async () => {
  await job.close()
  await app.close()
  await state.close()
  registry.close()
  await influx.dropDatabase(db).catch(() => {})
  rmSync(dir, { recursive: true, force: true })
})

describe('a change of what rollups are computed with', () => {
  it('capacity: occupancy figures of past days are recomputed with the new capacity', async () => {
    const S = 'sz-cap-01'
    const day = addDays(today, -5)
    await admin.addStation('test', { id: S, name: 'Capacity', timezone: SH, capacity: 4 })
    // Two people from 10:00 to 10:15, then nobody (known until 10:25): 25 known minutes.
    await store(S, [count(S, at(day, '10:00:00'), 2), count(S, at(day, '10:05:00'), 2), count(S, at(day, '10:10:00'), 2), count(S, at(day, '10:15:00'), 0)])
    expect(await job.checkStations()).toEqual([]) // first sight of the station: its settings as they are
    await job.drain()
    const url = `/stations/${S}/occupancy?from=${day}&to=${day}&scope=all`
    expect((await get(url)).totals).toMatchObject({ utilisation: 0.3, minutesAtCapacity: 0 })

    await admin.updateStation('test', S, { capacity: 2 })
    const [change] = await job.checkStations()
    expect(change).toMatchObject({ station: S, fields: ['capacity'], to: today })
    expect(change!.from! <= day).toBe(true)
    expect(await state.dirtyBetween(day, day, S)).toHaveLength(1)
    // Marked: the API computes the day from raw events, with the new capacity, at once.
    expect(await get(url)).toMatchObject({ totals: { utilisation: 0.6, minutesAtCapacity: 15 }, provenance: { rollupDays: 0, rawDays: 1 } })

    await job.drain()
    await job.flushed()
    expect(await state.dirty()).toEqual([])
    expect(await get(url)).toMatchObject({ totals: { utilisation: 0.6, minutesAtCapacity: 15 }, provenance: { rollupDays: 1, rawDays: 0 } })
    const hours = await get(`${url}&interval=hour`)
    expect(hours.series.find((h: { hour: number }) => h.hour === 10)).toMatchObject({ utilisation: 0.6, minutesAtCapacity: 15 })
    // The month's rollup sums the recomputed days: capacity × known time is now 2 × 25 min.
    const month = (await readMonths(query, { stations: [S], from: `${day.slice(0, 7)}-01`, to: `${day.slice(0, 7)}-28` })).get(S)?.[0]
    expect(month?.capacityMsAll).toBe(2 * 25 * 60_000)
  })

  it('time zone: days move to the new zone, and no day keyed by the old zone remains', async () => {
    const S = 'sz-tz-01'
    const d = addDays(today, -6)
    await admin.addStation('test', { id: S, name: 'Zone', timezone: SH, capacity: 4 })
    // Shanghai: d has 2 entries, d+1 has 1. Los Angeles (UTC−8): d−1 has 1, d has 2, d+1 none.
    await store(S, [entry(S, at(d, '01:00:00'), 1), entry(S, at(d, '20:00:00'), 2), entry(S, at(addDays(d, 1), '07:00:00'), 3)])
    await job.checkStations()
    await job.drain()
    const usage = (from: string, to: string, source = 'rollup') => get(`/stations/${S}/usage?from=${from}&to=${to}&source=${source}`)
    expect((await usage(d, addDays(d, 1))).periods.map((p: { visits: number }) => p.visits)).toEqual([2, 1])

    await admin.updateStation('test', S, { timezone: LA })
    const [change] = await job.checkStations()
    expect(change).toMatchObject({ station: S, fields: ['timezone'], to: localDate(Date.now(), LA) })
    await job.drain()

    const from = addDays(d, -1)
    const to = addDays(d, 1)
    const byRollup = await usage(from, to)
    expect(byRollup.periods.map((p: { from: string, visits: number }) => [p.from, p.visits])).toEqual([[from, 1], [d, 2], [to, 0]])
    expect(byRollup.provenance).toEqual({ rollupDays: 3, rawDays: 0 })
    expect((await usage(from, to, 'raw')).periods).toEqual(byRollup.periods)

    // Every stored day, hour and month is keyed by Los Angeles time, once.
    const days = await points('daily_station', S)
    expect(days.length).toBeGreaterThan(3)
    expect(new Set(days.map((p) => p.ymd)).size).toBe(days.length)
    for (const p of days) expect(p.time, String(p.ymd)).toBe(localMidnightUtc(dateOfYmd(p.ymd), LA).getTime())
    const hours = await points('hourly_station', S)
    for (const p of days) {
      const local = localDayOf(dateOfYmd(p.ymd), LA)
      expect(hours.filter((h) => h.ymd === p.ymd).map((h) => h.time).sort(), String(p.ymd)).toEqual(local.hours.map((h) => h.start))
    }
    expect(hours.length).toBe(days.reduce((n, p) => n + localDayOf(dateOfYmd(p.ymd), LA).hours.length, 0))
    const months = await points('monthly_station', S, 'ym')
    expect(new Set(months.map((m) => m.ymd)).size).toBe(months.length)
    for (const m of months) expect(m.time).toBe(localMidnightUtc(dateOfYmd(m.ymd * 100 + 1), LA).getTime())
  })

  it('a rename (or address, district, amenities) schedules nothing', async () => {
    const S = 'sz-name-01'
    await admin.addStation('test', { id: S, name: 'Before', timezone: SH, capacity: 4 })
    const day = addDays(today, -3)
    await store(S, [entry(S, at(day, '09:00:00'), 1)])
    await job.checkStations()
    await job.drain()
    await admin.updateStation('test', S, { name: 'After', address: 'Somewhere else 1', district: 'Elsewhere', amenities: ['wifi'], areaM2: 20, lat: 22.5, lon: 114 })
    expect(await job.checkStations()).toEqual([])
    expect(job.pending()).toBe(0)
    await job.flushed()
    expect(await state.dirty()).toEqual([])
  })
})

describe('an idle registry', () => {
  it('a check lists the stations only when their version moved (devices and presence leave it), and again after a failed change', async () => {
    const S = 'sz-idle-01'
    await admin.addStation('test', { id: S, name: 'Idle', timezone: SH, capacity: 4 })
    const lookup = registryLookup(registry)
    let listings = 0
    const counted = { ...lookup, list: async () => { listings++; return lookup.list() } }
    let influxDown = false
    const flaky = (async (...args: Parameters<typeof query>) => {
      if (influxDown) throw new Error('influx down')
      return query(...args)
    }) as typeof query
    const own = await openRollupState(':memory:')
    const idle = createRollupJob({ state: own, stations: counted, query: flaky, write: rollupWrite, logger })
    try {
      expect(await idle.checkStations()).toEqual([])
      expect(listings).toBe(1)
      await registry.addDevice(S, `${S}-hub`)
      await registry.presence.record([{ deviceId: `${S}-hub`, brokerId: 'b-idle', connected: true, lastSeenAt: new Date().toISOString() }])
      expect(await idle.checkStations()).toEqual([])
      expect(listings).toBe(1)

      // A change whose scheduling fails is retried by the next check, version moved or not.
      await admin.updateStation('test', S, { capacity: 6 })
      influxDown = true
      expect(await idle.checkStations()).toEqual([])
      expect(listings).toBe(2)
      influxDown = false
      const [change] = await idle.checkStations()
      expect(change).toMatchObject({ station: S, fields: ['capacity'] })
      expect(listings).toBe(3)
      expect(await idle.checkStations()).toEqual([])
      expect(listings).toBe(3)
    } finally {
      await idle.close()
      await own.close()
    }
  })
})

describe('RAW_RETENTION', () => {
  it('days whose raw events may be gone are not recomputed: their rollups stay as they were', async () => {
    const S = 'sz-old-01'
    const old = addDays(today, -30)
    const recent = addDays(today, -5)
    await admin.addStation('test', { id: S, name: 'Old days', timezone: SH, capacity: 4 })
    const events = [count(S, at(old, '10:00:00'), 4), count(S, at(old, '10:05:00'), 0), count(S, at(recent, '10:00:00'), 4), count(S, at(recent, '10:05:00'), 0)]
    const kept = await openRollupState(':memory:')
    const keepAll = createRollupJob({ state: kept, stations: registryLookup(registry), query, write: rollupWrite, logger })
    await store(S, events, keepAll.onStored)
    await keepAll.drain()
    await keepAll.close()
    await kept.close()

    const retained = await openRollupState(':memory:')
    const short = createRollupJob({ state: retained, stations: registryLookup(registry), query, write: rollupWrite, logger, rawRetentionMs: 20 * 86_400_000 })
    await short.checkStations()
    await admin.updateStation('test', S, { capacity: 8 })
    const [change] = await short.checkStations()
    expect(change!.from! > old).toBe(true)
    expect(change!.from! <= recent).toBe(true)
    expect(await retained.dirtyBetween(old, old, S)).toEqual([])
    await short.drain()
    await short.close()
    await retained.close()
    const days = (await readDays(query, { stations: [S], from: old, to: recent })).get(S) ?? []
    const capacityOf = (date: string) => days.find((d) => d.date === date)?.capacity
    expect([capacityOf(old), capacityOf(recent)]).toEqual([4, 8])
  })
})

describe('across processes and restarts', () => {
  it('a change made through another registry connection (the CLI) is picked up by the running job', async () => {
    const S = 'sz-cli-01'
    const day = addDays(today, -4)
    await admin.addStation('test', { id: S, name: 'CLI', timezone: SH, capacity: 4 })
    await store(S, [entry(S, at(day, '07:00:00'), 1), entry(S, at(day, '12:00:00'), 2)])
    await job.start({ reconcileDays: 0 })
    await job.checkStations()
    await job.drain()
    const url = `/stations/${S}/usage?from=${day}&to=${day}`
    expect((await get(url)).totals).toMatchObject({ visits: 2, entriesOutsideOpeningHours: 0 })

    // What `waystation stations update` does, in its own process with its own connection.
    const cli = openRegistry(registryPath)
    await createAdmin(cli).updateStation('cli', S, { openingHours: [{ days: [1, 2, 3, 4, 5, 6, 7], open: '08:00', close: '20:00' }] })
    cli.close()
    await vi.waitFor(async () => expect(await state.dirtyBetween(day, day, S)).toHaveLength(1), { timeout: 10_000, interval: 50 })
    await job.drain()
    expect(await get(url)).toMatchObject({ totals: { visits: 2, entriesOutsideOpeningHours: 1 }, provenance: { rollupDays: 1, rawDays: 0 } })
  })
})
