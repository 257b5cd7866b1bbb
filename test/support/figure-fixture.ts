// A fixed fleet of two stations and four local days of events for the figure tests, stored
// the way ingest stores them (ingest/to-line.ts over /write) and announced to the rollup job
// the way ingest announces them (onStored). Every expected figure in the tests is worked out
// by hand from the list below.
//
// sh-a      Asia/Shanghai (UTC+8), capacity 2, open 24 h, district 静安区
// berlin-b  Europe/Berlin (UTC+2 in May), capacity 3, open 08:00-20:00 every day, district Mitte
// Days 2026-05-04 (Mon) .. 2026-05-07 (Thu); 05-06 has no event at all at either station.
import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import type { AnyEvent } from '../../contract/index.ts'
import { buildApp, type App } from '../../api/build-app.ts'
import { createInfluxClient } from '../../api/main.ts'
import { createInfluxWrite } from '../../ingest/influx-write.ts'
import { eventToLine } from '../../ingest/to-line.ts'
import { ensureDatabase, ROLLUP_RETENTION_POLICY } from '../../platform/influx.ts'
import { createLogger } from '../../platform/logger.ts'
import { openRegistry } from '../../registry/open-registry.ts'
import { influxQueryFn } from '../../rollups/influx-query.ts'
import { createRollupJob } from '../../rollups/rollup-job.ts'
import { openRollupState } from '../../rollups/rollup-state.ts'
import { registryLookup } from '../../rollups/station-info.ts'
import { apiTokens } from './api-tokens.ts'

export const A = 'sh-a'
export const B = 'berlin-b'
export const W = Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`w${n}`, `w_${String(n).repeat(32)}`])) as Record<'w1' | 'w2' | 'w3' | 'w4' | 'w5' | 'w6', string>

const seqs = new Map<string, number>()
const next = (device: string) => { const s = (seqs.get(device) ?? 0) + 1; seqs.set(device, s); return s }
const cst = (local: string) => Date.parse(`${local}+08:00`)
const cest = (local: string) => Date.parse(`${local}+02:00`)

type Ev = { station: string, event: AnyEvent }
function door (station: string, ts: number, direction: 'in' | 'out', worker?: string, result: 'granted' | 'denied' = 'granted'): Ev {
  const device = `${station}-door`
  return { station, event: { channel: 'door', payload: { device, ts, seq: next(device), direction, result, method: worker ? 'face' : 'manual', ...(worker ? { worker } : {}) } } }
}
function occ (station: string, ts: number, count: number, entered?: number, exited?: number): Ev {
  const device = `${station}-sensors`
  return { station, event: { channel: 'occupancy', payload: { device, ts, seq: next(device), count, ...(entered === undefined ? {} : { entered }), ...(exited === undefined ? {} : { exited }) } } }
}
function env (station: string, ts: number, v: { temperature?: number, humidity?: number, co2?: number, pm25?: number }): Ev {
  const device = `${station}-sensors`
  return { station, event: { channel: 'environment', payload: { device, ts, seq: next(device), ...v } } }
}

export function fixtureEvents (): Ev[] {
  const a = (t: string) => cst(`2026-${t}`)
  const b = (t: string) => cest(`2026-${t}`)
  const events: Ev[] = [
    // sh-a, Mon 05-04: 4 visits (W1, W2, one without worker id, W3), 1 refused attempt.
    door(A, a('05-04T08:00:00'), 'in', W.w1),
    door(A, a('05-04T08:10:30'), 'out', W.w1), // 10.5 min → 10
    door(A, a('05-04T09:00:00'), 'in', W.w2),
    door(A, a('05-04T09:00:20'), 'in', undefined, 'denied'),
    door(A, a('05-04T09:30:00'), 'out', W.w2), // 30
    door(A, a('05-04T12:00:00'), 'in'), // granted, no worker id (manual)
    door(A, a('05-04T23:50:00'), 'in', W.w3),
    // Tue 05-05, just after local midnight: W3's exit (30 min, counted on 05-04).
    door(A, a('05-05T00:20:00'), 'out', W.w3),
    door(A, a('05-05T10:00:00'), 'in', W.w1), // next event is an entry: no exit (at the cap)
    door(A, a('05-05T10:05:00'), 'in', W.w1),
    door(A, a('05-05T10:45:00'), 'out', W.w1), // 40
    door(A, a('05-05T11:00:00'), 'in', W.w4), // never leaves (at the cap)
    door(A, a('05-05T11:30:00'), 'in', W.w5, 'denied'),
    // Thu 05-07 at exactly local midnight.
    door(A, a('05-07T00:00:00'), 'in', W.w2),
    door(A, a('05-07T00:05:00'), 'out', W.w2), // 5

    // sh-a people counter (capacity 2): one more person came in than the door let in.
    occ(A, a('05-04T08:00:00'), 2, 2, 0),
    occ(A, a('05-04T08:05:00'), 2), // heartbeat
    occ(A, a('05-04T08:10:00'), 4, 2, 0),
    occ(A, a('05-04T08:15:00'), 3, 0, 1),
    occ(A, a('05-04T08:20:00'), 0, 0, 3), // then silence: known until 08:30
    occ(A, a('05-04T23:50:00'), 1, 1, 0),
    occ(A, a('05-04T23:55:00'), 1), // holds into 05-05 until 00:05
    occ(A, a('05-05T00:20:00'), 0, 0, 1),

    // sh-a climate, Mon 05-04 (default band: 18-26 °C, 30-70 %, CO2 ≤ 1000, PM2.5 ≤ 50).
    env(A, a('05-04T12:00:30'), { temperature: 22, humidity: 50, co2: 600, pm25: 10 }),
    env(A, a('05-04T12:01:30'), { temperature: 27, humidity: 50, co2: 600, pm25: 10 }),
    env(A, a('05-04T12:02:30'), { temperature: 22, humidity: 75, co2: 600, pm25: 10 }),
    env(A, a('05-04T12:03:30'), { temperature: 22, humidity: 50, co2: 1200, pm25: 10 }),
    env(A, a('05-04T12:04:30'), { temperature: 22, humidity: 50, co2: 600, pm25: 60 }),
    env(A, a('05-04T12:05:30'), { temperature: 26, humidity: 70, co2: 1000, pm25: 50 }), // bounds are inside
    env(A, a('05-04T12:06:30'), { temperature: 18, humidity: 30 }),
    env(A, a('05-04T12:07:30'), { co2: 800 }),
    env(A, a('05-04T12:08:30'), { temperature: 17.9 }),
    env(A, a('05-04T12:08:45'), { temperature: 20 }), // same minute as the previous one
    env(A, a('05-04T13:00:30'), { temperature: 30, humidity: 50 }),

    // berlin-b, Mon 05-04: W1 before opening, W6 after closing (first time anywhere).
    door(B, b('05-04T07:30:00'), 'in', W.w1),
    door(B, b('05-04T07:45:00'), 'out', W.w1), // 15
    door(B, b('05-04T21:00:00'), 'in', W.w6),
    door(B, b('05-04T21:10:00'), 'out', W.w6), // 10
    // Tue 05-05 03:00 Berlin is 01:00 UTC: before W4's entry at sh-a (03:00 UTC), so W4 is new here.
    door(B, b('05-05T03:00:00'), 'in', W.w4),
    door(B, b('05-05T03:20:00'), 'out', W.w4), // 20
    occ(B, b('05-04T06:55:00'), 3, 3, 0), // counter saw 3 come in; the door granted nobody in that hour
    occ(B, b('05-04T19:58:00'), 1, 0, 2),
    env(B, b('05-04T07:59:30'), { temperature: 30 }),
    env(B, b('05-04T08:00:30'), { temperature: 22 }),
    env(B, b('05-04T19:59:30'), { temperature: 22 }),
    env(B, b('05-04T20:00:30'), { temperature: 30 })
  ]
  // berlin-b, Thu 05-07: devices reporting as the contract asks, all day (a complete day).
  const day = b('05-07T00:00:00')
  for (let m = 0; m < 1440; m++) events.push(env(B, day + m * 60_000 + 30_000, { temperature: 22, humidity: 50, co2: 600, pm25: 10 }))
  for (let m = 0; m < 1440; m += 5) events.push(occ(B, day + m * 60_000, 0))
  return events
}

/** sh-a's door controller uploads buffered events of Tue 05-05 late. */
export function lateUpload (): Ev[] {
  return [door(A, cst('2026-05-05T20:00:00'), 'in', W.w5), door(A, cst('2026-05-05T20:15:00'), 'out', W.w5)]
}

export async function figureFixture () {
  const influxUrl = inject('influxUrl')
  const db = `figures_${randomBytes(4).toString('hex')}`
  const config = { INFLUX_URL: influxUrl, INFLUX_DB: db }
  const influx = createInfluxClient(config)
  await ensureDatabase(influx, db)
  const registry = openRegistry(':memory:')
  await registry.addStation({ id: A, name: '静安区爱心驿站', district: '静安区', timezone: 'Asia/Shanghai', capacity: 2 })
  await registry.addStation({ id: B, name: '=Mitte, "Rast"', district: 'Mitte', timezone: 'Europe/Berlin', capacity: 3, openingHours: [{ days: [1, 2, 3, 4, 5, 6, 7], open: '08:00', close: '20:00' }] })
  const state = await openRollupState(':memory:')
  const logger = createLogger('silent')
  const write = createInfluxWrite({ url: influxUrl, database: db, timeoutMs: 10_000 })
  const rollupWrite = createInfluxWrite({ url: influxUrl, database: db, timeoutMs: 10_000, retentionPolicy: ROLLUP_RETENTION_POLICY })
  const job = createRollupJob({ state, stations: registryLookup(registry), query: influxQueryFn(influx), write: rollupWrite, logger })
  const ok = async () => ({ ok: true })
  const app: App = buildApp({ registry, influx, logger, probes: { influx: ok, broker: ok }, rollups: { dirtyBetween: state.dirtyBetween, firstSeen: state.firstSeen, monthGeneration: state.monthGeneration } })
  await app.ready()
  const tokens = await apiTokens(registry)

  /** Writes events to InfluxDB as ingest does, without telling the job. */
  async function writeRaw (events: Ev[]): Promise<void> {
    for (let i = 0; i < events.length; i += 5000) {
      await write(events.slice(i, i + 5000).map((e) => eventToLine(e.station, e.event)).join('\n'))
    }
  }

  /** Stores events as ingest does, then tells the job (ingest's onStored). */
  async function store (events: Ev[]): Promise<void> {
    await writeRaw(events)
    for (const e of events) job.onStored(e.station, e.event)
  }

  async function get (url: string, headers: Record<string, string> = {}) {
    const res = await app.inject({ method: 'GET', url, headers: { ...tokens.viewer, ...headers } })
    return { status: res.statusCode, body: res.headers['content-type']?.toString().startsWith('application/json') ? res.json() : undefined, res }
  }

  return {
    app,
    influx,
    registry,
    state,
    job,
    store,
    writeRaw,
    get,
    /** The same URL from rollups and from raw events (provenance aside). */
    async both (url: string) {
      const sep = url.includes('?') ? '&' : '?'
      const [rollup, raw] = await Promise.all([get(url), get(`${url}${sep}source=raw`)])
      return { rollup, raw }
    },
    async close () {
      await app.close()
      await influx.dropDatabase(db).catch(() => {})
      await state.close()
      registry.close()
    }
  }
}

export type FigureFixture = Awaited<ReturnType<typeof figureFixture>>

/** The fixture with fixtureEvents() stored and both stations rolled up from `from` to `to`. */
export async function rolledUpFixture (from: string, to: string): Promise<FigureFixture> {
  const fx = await figureFixture()
  await fx.store(fixtureEvents())
  fx.job.markRange([A, B], from, to)
  await fx.job.drain()
  return fx
}
