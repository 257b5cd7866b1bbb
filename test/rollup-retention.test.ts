// Rollups and retention, against the real influxd: the job as `waystation start` wires it writes
// and reads rollups in the `rollups` policy (never the default one, where raw events expire);
// the first start after an upgrade rebuilds rollups an older version left in the default
// policy; and a day whose raw events may be past RAW_RETENTION keeps the rollup it has.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { AnyEvent } from '../contract/index.ts'
import { createInfluxClient } from '../api/main.ts'
import type { StoredListener } from '../ingest/create-ingest.ts'
import { createInfluxWrite } from '../ingest/influx-write.ts'
import { eventToLine } from '../ingest/to-line.ts'
import { ensureDatabase, ROLLUP_RETENTION_POLICY } from '../platform/influx.ts'
import { addDays, localDate } from '../platform/local-day.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { influxQueryFn } from '../rollups/influx-query.ts'
import { LAYOUT_KEY } from '../rollups/legacy-rollups.ts'
import { createRollupJob } from '../rollups/rollup-job.ts'
import { openRollupState } from '../rollups/rollup-state.ts'
import { readDays, readHours, readMonths } from '../rollups/rollup-store.ts'
import { dayLine, hourLine, LAYOUTS, monthLine } from '../rollups/rollup-codec.ts'
import { monthBounds, monthOf } from '../rollups/day-bounds.ts'
import { loadStationDays } from '../api/figures/day-source.ts'
import { localMidnightUtc } from '../platform/local-day.ts'
import { startRollups } from '../rollups/start-rollups.ts'
import { registryLookup } from '../rollups/station-info.ts'
import { worker } from './support/device.ts'

const S = 'sz-keep-01'
const TZ = 'Asia/Shanghai'
const influxUrl = inject('influxUrl')
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent')
const registry = openRegistry(':memory:')
await registry.addStation({ id: S, name: 'Retention test', timezone: TZ, capacity: 4 })
let dir: string
const databases: string[] = []

let seq = 0
const entry = (date: string, time: string, w: number): AnyEvent =>
  ({ channel: 'door', payload: { device: `${S}-door`, ts: Date.parse(`${date}T${time}+08:00`), seq: ++seq, direction: 'in', method: 'face', result: 'granted', worker: worker(w) } })

async function database () {
  const db = `rollup_rp_${randomBytes(4).toString('hex')}`
  databases.push(db)
  const influx = createInfluxClient({ INFLUX_URL: influxUrl, INFLUX_DB: db })
  await ensureDatabase(influx, db)
  const raw = createInfluxWrite({ url: influxUrl, database: db, timeoutMs: 10_000 })
  return {
    db,
    influx,
    query: influxQueryFn(influx),
    /** Raw events, as ingest stores them (the default policy). */
    store: (events: AnyEvent[]) => raw(events.map((e) => eventToLine(S, e)).join('\n')),
    /** The job as `waystation start` wires it, with a state file of its own. */
    start: (stateFile: string, onStored: (l: StoredListener) => void = () => {}) => startRollups({
      config: { INFLUX_URL: influxUrl, INFLUX_DB: db, REGISTRY_PATH: join(dir, stateFile, 'registry.sqlite'), RAW_RETENTION: '400d' },
      registry, ingest: { onStored }, logger, reconcileDays: 0
    })
  }
}
const visits = async (query: ReturnType<typeof influxQueryFn>, from: string, to: string) =>
  ((await readDays(query, { stations: [S], from, to })).get(S) ?? []).map((d) => [d.date, d.agg.entries])
const count = async (influx: ReturnType<typeof createInfluxClient>, from: string) =>
  Number((await influx.query<{ count: number }>(`SELECT count("figures") AS "count" FROM ${from}`))[0]?.count ?? 0)

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'waystation-rollup-rp-')) })
afterAll(async () => {
  const influx = createInfluxClient({ INFLUX_URL: influxUrl, INFLUX_DB: 'x' })
  for (const db of databases) await influx.dropDatabase(db).catch(() => {})
  rmSync(dir, { recursive: true, force: true })
})

describe('the rollups policy', () => {
  it('the job writes rollups to "rollups" and reads them from there, never from the default policy', async () => {
    const d = await database()
    let onStored: StoredListener = () => {}
    const rollups = await d.start('plain', (l) => { onStored = l })
    const day = addDays(localDate(Date.now(), TZ), -3)
    const events = [entry(day, '09:00:00', 1), entry(day, '10:00:00', 2)]
    await d.store(events)
    for (const e of events) onStored(S, e)
    await rollups.upgraded
    await rollups.job.drain()
    await rollups.close()
    expect(await visits(d.query, day, day)).toEqual([[day, 2]])
    // The month's other days up to today get their (zero) rollups too.
    for (const m of ['daily_station', 'hourly_station', 'monthly_station']) expect(await count(d.influx, `"${ROLLUP_RETENTION_POLICY}"."${m}"`), m).toBeGreaterThan(0)
    for (const m of ['daily_station', 'hourly_station', 'monthly_station']) expect(await count(d.influx, `"autogen"."${m}"`), m).toBe(0)
  })
})

describe('upgrading from rollups in the default policy', () => {
  it('the first start recomputes every day that had a rollup there into "rollups", once', async () => {
    const d = await database()
    // Recent days (relative to the clock): well inside the RAW_RETENTION of 400d the job runs with.
    const today = localDate(Date.now(), TZ)
    const days = [addDays(today, -10), addDays(today, -9)]
    await d.store([entry(days[0]!, '09:00:00', 1), entry(days[1]!, '09:00:00', 1), entry(days[1]!, '12:00:00', 2)])
    // What an older version left: its state file, and day rollups in the default policy (only
    // `ymd` matters to the upgrade; the figures were those of an older layout).
    await (await openRollupState(join(dir, 'upgrade', 'rollups.sqlite'), { source: d.db })).close()
    const legacy = createInfluxWrite({ url: influxUrl, database: d.db, timeoutMs: 10_000 })
    await legacy(days.map((day) => `daily_station,station=${S} ymd=${day.replaceAll('-', '')}i,figures="v1;old" ${Date.parse(`${day}T00:00:00+08:00`)}000000`).join('\n'))
    expect(await count(d.influx, '"autogen"."daily_station"')).toBe(2)
    expect(await visits(d.query, days[0]!, days[1]!)).toEqual([])

    const first = await d.start('upgrade')
    await first.upgraded
    expect(first.job.pending()).toBe(2)
    await first.job.drain()
    await first.close()
    expect(await visits(d.query, days[0]!, days[1]!)).toEqual([[days[0], 1], [days[1], 2]])

    const second = await d.start('upgrade')
    await second.upgraded
    expect(second.job.pending()).toBe(0)
    await second.close()
    const state = await openRollupState(join(dir, 'upgrade', 'rollups.sqlite'), { readOnly: true })
    expect(await state.meta(LAYOUT_KEY)).toBe(ROLLUP_RETENTION_POLICY)
    await state.close()
  })
})

describe('RAW_RETENTION and the job', () => {
  it('a day whose raw events may be past RAW_RETENTION is not recomputed: its rollup stays', async () => {
    const d = await database()
    // Older than the 30-day retention of job b, by the test's clock.
    const day = addDays(localDate(Date.now(), TZ), -60)
    const rollupWrite = createInfluxWrite({ url: influxUrl, database: d.db, timeoutMs: 10_000, retentionPolicy: ROLLUP_RETENTION_POLICY })
    const job = async (rawRetentionMs: number | null) => {
      const state = await openRollupState(':memory:')
      return { state, job: createRollupJob({ state, stations: registryLookup(registry), query: d.query, write: rollupWrite, logger, rawRetentionMs }) }
    }
    await d.store([entry(day, '09:00:00', 1)])
    const a = await job(null)
    a.job.markRange([S], day, day)
    await a.job.drain()
    expect(await visits(d.query, day, day)).toEqual([[day, 1]])

    // Raw events now differ from the rollup, as they would once InfluxDB had dropped some.
    await d.store([entry(day, '10:00:00', 2)])
    const b = await job(30 * 86_400_000)
    b.job.markRange([S], day, day)
    await b.job.drain()
    await b.job.flushed()
    expect(await b.state.dirty()).toEqual([])
    expect(await visits(d.query, day, day)).toEqual([[day, 1]])

    // Within retention the same mark recomputes the day.
    const c = await job(null)
    c.job.markRange([S], day, day)
    await c.job.drain()
    expect(await visits(d.query, day, day)).toEqual([[day, 2]])
    for (const j of [a, b, c]) { await j.job.close(); await j.state.close() }
  })
})

describe('a change of the rollup layout', () => {
  it('a month older than RAW_RETENTION keeps its figures: old-layout points are read, then rewritten, never recomputed', async () => {
    const d = await database()
    const rollupWrite = createInfluxWrite({ url: influxUrl, database: d.db, timeoutMs: 10_000, retentionPolicy: ROLLUP_RETENTION_POLICY })
    // A whole month that ended more than 30 days ago, by the test's clock.
    const month = monthOf(addDays(localDate(Date.now(), TZ), -100))
    const { first, last } = monthBounds(month)
    const days = [addDays(first, 2), addDays(first, 3)]
    await d.store([entry(days[0]!, '09:00:00', 1), entry(days[0]!, '10:00:00', 2), entry(days[1]!, '09:00:00', 1)])
    const old = await openRollupState(':memory:')
    const before = createRollupJob({ state: old, stations: registryLookup(registry), query: d.query, write: rollupWrite, logger })
    before.markRange([S], first, last)
    await before.drain()
    await before.close()
    await old.close()

    // What the previous version (layout v2) left: the same points in its layout.
    const v2 = LAYOUTS.get('v2')!
    const scope = { stations: [S], from: first, to: last }
    const dayRows = (await readDays(d.query, scope, { workers: true, dwell: true })).get(S)!
    const hourRows = (await readHours(d.query, scope)).get(S)!
    const [monthRow] = (await readMonths(d.query, scope, { workers: true, dwell: true })).get(S)!
    expect(dayRows).toHaveLength(Number(last.slice(8))) // every day of the month has a rollup
    await rollupWrite([
      ...dayRows.map((r) => dayLine(S, r, v2)),
      ...hourRows.map((h) => hourLine(S, h, v2)),
      monthLine(S, localMidnightUtc(first, TZ).getTime(), monthRow!.ym, monthRow!, v2)
    ].join('\n'))
    const layouts = async () => {
      const rows = await d.influx.query<{ figures: string }>(`SELECT "figures" FROM "${ROLLUP_RETENTION_POLICY}"./.*_station/ WHERE "station" = '${S}'`)
      return [...new Set(rows.map((r) => r.figures.slice(0, 3)))]
    }
    expect(await layouts()).toEqual(['v2;'])
    // The raw events are gone, as they would be RAW_RETENTION later.
    await d.influx.query('DROP MEASUREMENT "door"')

    const station = { id: S, timezone: TZ, capacity: 4, openingHours: '24h' as const }
    const figures = async () => {
      const loaded = await loadStationDays({ query: d.query, status: null }, station, first, last)
      return { provenance: loaded.provenance, visits: loaded.days.map((x) => x.agg.entries), workers: loaded.days.map((x) => x.uniqueWorkers) }
    }
    const expected = {
      provenance: { rollupDays: dayRows.length, rawDays: 0 },
      visits: dayRows.map((r) => (r.date === days[0] ? 2 : r.date === days[1] ? 1 : 0)),
      workers: dayRows.map((r) => (r.date === days[0] ? 2 : r.date === days[1] ? 1 : 0))
    }
    // The new version reads the old layout at once.
    expect(await figures()).toEqual(expected)

    // Its job rewrites the points in the current layout at start, with RAW_RETENTION = 30 days.
    const state = await openRollupState(':memory:')
    const job = createRollupJob({ state, stations: registryLookup(registry), query: d.query, write: rollupWrite, logger, rawRetentionMs: 30 * 86_400_000 })
    await job.start({ reconcileDays: 0 })
    await job.transcoded()
    expect(await layouts()).toEqual(['v3;'])
    expect(await figures()).toEqual(expected)
    // A rebuild of the month now finds no raw events to rebuild from, and leaves it alone.
    job.markRange([S], first, last)
    await job.drain()
    expect(job.stats().recomputedDays).toBe(0)
    expect(await figures()).toEqual(expected)
    const [again] = (await readMonths(d.query, scope, { workers: true })).get(S)!
    expect([again!.agg.entries, again!.uniqueWorkers, again!.days]).toEqual([3, 2, dayRows.length])
    await job.close()
    await state.close()
  })
})
