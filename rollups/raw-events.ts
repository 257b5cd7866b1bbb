// Raw events of one station over a time window, as compact rows in time order and in chunks
// of bounded size: what the rollup job rolls up and what the API computes from when a rollup
// is missing. Both fold them into the same accumulator (rollups/compute-days.ts), so the two
// paths cannot disagree.
import type { Placeholders, QueryFn, Series } from './influx-query.ts'

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

/** Rows of one query result, in the order InfluxDB returned them (time order: no GROUP BY). */
function rows<T> (series: Series[] | undefined, map: (get: (name: string) => unknown) => T): T[] {
  const out: T[] = []
  for (const s of series ?? []) {
    const idx = new Map(s.columns.map((c, i) => [c, i]))
    for (const v of s.values) out.push(map((name) => v[idx.get(name) ?? -1]))
  }
  return out
}

/** Rows a chunk reader holds at once by default: ~1 MB of JSON, one page for a busy station-month's doors. */
export const RAW_CHUNK_ROWS = 10_000

/** Where chunks of raw events go, each stream in time order. */
export type RawSink = { [S in Stream]: (rows: RawEvents[S]) => void }
export type ReadRawOptions = {
  streams?: readonly Stream[]
  /** Rows per query (LIMIT): the most raw events held at once per stream. */
  chunkRows?: number
  /** Called with every chunk's size (tests instrument the reader with it). */
  onChunk?: (stream: Stream, rows: number) => void
}

type StreamQuery = {
  stream: Stream
  select: string
  from: number
  to: number
  map: (get: (name: string) => unknown) => DoorRow | OccupancyRow | EnvironmentRow
}

function streamQueries (start: number, end: number, streams: readonly Stream[]): StreamQuery[] {
  const all: StreamQuery[] = [
    {
      stream: 'door',
      select: 'SELECT "seq", "worker", "direction", "result" FROM "door"',
      from: start,
      to: end + DWELL_HORIZON_MS,
      map: (get) => ({
        t: get('time') as number,
        in: get('direction') === 'in',
        granted: get('result') === 'granted',
        worker: typeof get('worker') === 'string' ? get('worker') as string : null
      })
    },
    {
      stream: 'occupancy',
      select: 'SELECT "count", "entered", "exited" FROM "occupancy"',
      from: start - OCCUPANCY_STALE_MS,
      to: end,
      map: (get) => ({ t: get('time') as number, count: num(get('count')) ?? 0, entered: num(get('entered')), exited: num(get('exited')) })
    },
    {
      stream: 'environment',
      select: 'SELECT "temperature", "humidity", "co2", "pm25" FROM "environment"',
      from: start,
      to: end,
      map: (get) => ({ t: get('time') as number, temperature: num(get('temperature')), humidity: num(get('humidity')), co2: num(get('co2')), pm25: num(get('pm25')) })
    }
  ]
  return all.filter((q) => streams.includes(q.stream))
}

/**
 * Events needed to compute the local days inside [start, end), fed to `sink` in time-ordered
 * chunks of at most chunkRows per stream: door events until end + DWELL_HORIZON_MS (exits that
 * close late entries), occupancy from start - OCCUPANCY_STALE_MS (the count in force at the
 * start), environment inside. The first chunk of every stream comes in one round trip; a
 * stream with more rows is paged by time: the next query starts at the last row's millisecond
 * and skips the rows of that millisecond already read (several devices, or one device's
 * sequence numbers, can share a millisecond). Memory is bounded by chunkRows, whatever a
 * device sent.
 */
export async function readRawEvents (query: QueryFn, stationId: string, start: number, end: number, sink: RawSink, opts: ReadRawOptions = {}): Promise<void> {
  const chunk = opts.chunkRows ?? RAW_CHUNK_ROWS
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError('chunkRows must be a positive integer')
  const qs = streamQueries(start, end, opts.streams ?? ['door', 'occupancy', 'environment'])
  if (qs.length === 0) return
  const iso = (ms: number) => new Date(ms).toISOString()
  const statement = (q: StreamQuery, i: number, skip: number) =>
    `${q.select} WHERE "station" = $station AND time >= $from${i} AND time < $to${i} ORDER BY time ASC LIMIT ${chunk}${skip > 0 ? ` OFFSET ${skip}` : ''}`
  const placeholders = (q: StreamQuery, i: number, from: number): Placeholders => ({ station: stationId, [`from${i}`]: iso(from), [`to${i}`]: iso(q.to) })

  const deliver = (q: StreamQuery, series: Series[] | undefined) => {
    const list = rows(series, q.map)
    opts.onChunk?.(q.stream, list.length)
    ;(sink[q.stream] as (r: typeof list) => void)(list)
    return list
  }
  const firstResults = await query(qs.map((q, i) => statement(q, i, 0)), Object.assign({}, ...qs.map((q, i) => placeholders(q, i, q.from))))
  await Promise.all(qs.map(async (q, i) => {
    let list = deliver(q, firstResults[i])
    let cursor = q.from
    let skip = 0
    while (list.length === chunk) {
      const lastT = list.at(-1)!.t
      if (lastT === cursor) skip += list.length
      else {
        cursor = lastT
        skip = 0
        for (let j = list.length - 1; j >= 0 && list[j]!.t === lastT; j--) skip++
      }
      list = [] // the previous chunk is not held while the next one loads
      const [series] = await query([statement(q, i, skip)], placeholders(q, i, cursor))
      list = deliver(q, series)
    }
  }))
}
