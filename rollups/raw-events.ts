// Raw events of one station over a time window, as compact rows in time order: what the
// rollup job rolls up and what the API computes from when a rollup is missing. Both go
// through computeDays on these rows, so the two paths cannot disagree.
import type { QueryFn, Series } from './influx-query.ts'

export type DoorRow = { t: number, in: boolean, granted: boolean, worker: string | null }
export type OccupancyRow = { t: number, count: number, entered: number | null, exited: number | null }
export type EnvironmentRow = { t: number, temperature: number | null, humidity: number | null, co2: number | null, pm25: number | null }
export type RawEvents = { door: DoorRow[], occupancy: OccupancyRow[], environment: EnvironmentRow[] }
export type Stream = keyof RawEvents

/** A worker's entry pairs with an exit at most this long after it (the largest dwell cap). */
export const DWELL_HORIZON_MS = 4 * 3_600_000
/** An occupancy count holds until the next message, but no longer than this (2 × the 5-minute heartbeat). */
export const OCCUPANCY_STALE_MS = 10 * 60_000

/**
 * Whether every raw event the day starting at `start` reads is surely still stored, with raw
 * events kept for retentionMs (null: forever): InfluxDB drops a shard group only once all of it
 * is older than the retention, and a day reads occupancy from OCCUPANCY_STALE_MS before it.
 */
export function rawEventsKept (start: number, now: number, retentionMs: number | null): boolean {
  return retentionMs === null || start - OCCUPANCY_STALE_MS >= now - retentionMs
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

function rows<T> (series: Series[] | undefined, map: (get: (name: string) => unknown) => T): T[] {
  const out: T[] = []
  for (const s of series ?? []) {
    const idx = new Map(s.columns.map((c, i) => [c, i]))
    for (const v of s.values) out.push(map((name) => v[idx.get(name) ?? -1]))
  }
  return out
}

/**
 * Events needed to compute the local days inside [start, end): door events until
 * end + DWELL_HORIZON_MS (exits that close late entries), occupancy from
 * start - OCCUPANCY_STALE_MS (the count in force at the start), environment inside.
 * One HTTP round trip; `streams` limits what is fetched (visit figures need only doors).
 */
export async function loadRawEvents (query: QueryFn, stationId: string, start: number, end: number, streams: readonly Stream[] = ['door', 'occupancy', 'environment']): Promise<RawEvents> {
  const where = '"station" = $station AND time >= $from AND time < $to'
  const statements: string[] = []
  const iso = (ms: number) => new Date(ms).toISOString()
  const placeholders = {
    station: stationId,
    from: iso(start),
    to: iso(end),
    doorTo: iso(end + DWELL_HORIZON_MS),
    occFrom: iso(start - OCCUPANCY_STALE_MS)
  }
  const want = new Set(streams)
  if (want.has('door')) statements.push('SELECT "seq", "worker", "direction", "result" FROM "door" WHERE "station" = $station AND time >= $from AND time < $doorTo')
  if (want.has('occupancy')) statements.push('SELECT "count", "entered", "exited" FROM "occupancy" WHERE "station" = $station AND time >= $occFrom AND time < $to')
  if (want.has('environment')) statements.push(`SELECT "temperature", "humidity", "co2", "pm25" FROM "environment" WHERE ${where}`)
  const results = statements.length > 0 ? await query(statements, placeholders) : []
  let i = 0
  const door = want.has('door')
    ? rows(results[i++], (get) => ({
        t: get('time') as number,
        in: get('direction') === 'in',
        granted: get('result') === 'granted',
        worker: typeof get('worker') === 'string' ? get('worker') as string : null
      }))
    : []
  const occupancy = want.has('occupancy')
    ? rows(results[i++], (get) => ({ t: get('time') as number, count: num(get('count')) ?? 0, entered: num(get('entered')), exited: num(get('exited')) }))
    : []
  const environment = want.has('environment')
    ? rows(results[i++], (get) => ({
        t: get('time') as number,
        temperature: num(get('temperature')),
        humidity: num(get('humidity')),
        co2: num(get('co2')),
        pm25: num(get('pm25'))
      }))
    : []
  // Several devices of one station come back as one series ordered by time; keep it stable.
  for (const list of [door, occupancy, environment] as Array<Array<{ t: number }>>) list.sort((a, b) => a.t - b.t)
  return { door, occupancy, environment }
}
