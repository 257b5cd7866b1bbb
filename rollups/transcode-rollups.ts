// Rewrites rollup points of an older layout (rollup-codec.ts LAYOUTS) in the current one, once
// per layout change. Readers decode every known layout anyway, so this is housekeeping, not a
// precondition; what it must never do is recompute: a rollup older than RAW_RETENTION has no
// raw events left, and a recompute would turn its figures into zeros. A point is decoded and
// encoded again, figure for figure (keys the old layout lacked stay 0). Each station is done
// with no recompute of it running (`exclusive`), so a fresh recompute is never overwritten by
// an older point's figures. Docs: docs/rollups.md, "Layout versions".
import { ROLLUP_RETENTION_POLICY } from '../platform/influx.ts'
import type { Logger } from '../platform/logger.ts'
import type { QueryFn, Series } from './influx-query.ts'
import {
  CURRENT_LAYOUT, DAY_MEASUREMENT, dayLine, decodeDay, decodeHour, decodeMonth, HOUR_MEASUREMENT, hourLine, layoutOf, MONTH_MEASUREMENT, monthLine
} from './rollup-codec.ts'
import type { RollupState } from './rollup-state.ts'

/** meta key of the state file: the layout every rollup point has been transcoded to. */
export const FIGURES_LAYOUT_KEY = 'figures_layout'
const YEAR_MS = 366 * 86_400_000
const RETRY_MS = 30_000
const WRITE_CHUNK_LINES = 5000

type Get = (name: string) => unknown
type Kind = { measurement: string, columns: string, encode: (station: string, get: Get) => string | null }

const KINDS: readonly Kind[] = [
  { measurement: DAY_MEASUREMENT, columns: '"figures", "workers", "dwell"', encode: (s, get) => { const d = decodeDay(get); return d && dayLine(s, d) } },
  { measurement: HOUR_MEASUREMENT, columns: '"figures"', encode: (s, get) => { const h = decodeHour(get); return h && hourLine(s, h) } },
  { measurement: MONTH_MEASUREMENT, columns: '"figures", "workers", "dwell"', encode: (s, get) => { const m = decodeMonth(get); return m && monthLine(s, get('time') as number, m.ym, m) } }
]

type Options = {
  state: RollupState
  query: QueryFn
  write: (body: string) => Promise<void>
  logger: Logger
  /** Runs fn with no recompute of the station running or starting (rollup-job.ts). */
  exclusive: <T>(station: string, fn: () => Promise<T>) => Promise<T>
  now?: () => number
}

/** Stations with rollup points and the time of their earliest one. */
async function stationsWithRollups (query: QueryFn): Promise<Map<string, number>> {
  const results = await query(KINDS.map((k) => `SELECT "figures" FROM "${ROLLUP_RETENTION_POLICY}"."${k.measurement}" GROUP BY "station" LIMIT 1`), {})
  const out = new Map<string, number>()
  for (const s of results.flat() as Series[]) {
    const station = s.tags?.station
    const t = s.values[0]?.[0]
    if (!station || typeof t !== 'number') continue
    out.set(station, Math.min(out.get(station) ?? Infinity, t))
  }
  return out
}

/** Transcodes one station's points of older layouts, a year of points per query; returns how many. */
export async function transcodeStation (opts: Pick<Options, 'query' | 'write'>, station: string, earliest: number, now: number): Promise<number> {
  let rewritten = 0
  for (let from = earliest; from <= now + YEAR_MS; from += YEAR_MS) {
    const placeholders = { station, from: new Date(from).toISOString(), to: new Date(from + YEAR_MS).toISOString() }
    const results = await opts.query(KINDS.map((k) =>
      `SELECT ${k.columns} FROM "${ROLLUP_RETENTION_POLICY}"."${k.measurement}" WHERE "station" = $station AND time >= $from AND time < $to`), placeholders)
    const lines: string[] = []
    KINDS.forEach((k, i) => {
      for (const s of results[i] ?? []) {
        const idx = new Map(s.columns.map((c, j) => [c, j]))
        for (const v of s.values) {
          const get: Get = (name) => v[idx.get(name) ?? -1]
          const layout = layoutOf(get('figures'))
          if (layout === null || layout === CURRENT_LAYOUT) continue // unknown layouts are left alone
          const line = k.encode(station, get)
          if (line !== null) lines.push(line)
        }
      }
    })
    for (let j = 0; j < lines.length; j += WRITE_CHUNK_LINES) await opts.write(lines.slice(j, j + WRITE_CHUNK_LINES).join('\n'))
    rewritten += lines.length
  }
  return rewritten
}

/**
 * Runs in the background from the job's start until every station's points are in the
 * current layout, then records it in the state file (so it runs once per layout change);
 * retries while InfluxDB cannot answer.
 */
export function transcodeRollups (opts: Options): { done: Promise<void>, cancel: () => void } {
  const { state, logger } = opts
  const now = opts.now ?? Date.now
  let cancelled = false
  let timer: NodeJS.Timeout | undefined
  let settle = () => {}
  const done = new Promise<void>((resolve) => {
    settle = resolve
    const attempt = async () => {
      try {
        if (cancelled || await state.meta(FIGURES_LAYOUT_KEY) === CURRENT_LAYOUT.id) return resolve()
        let points = 0
        for (const [station, earliest] of await stationsWithRollups(opts.query)) {
          if (cancelled) return resolve()
          points += await opts.exclusive(station, () => transcodeStation(opts, station, earliest, now()))
        }
        if (cancelled) return resolve()
        await state.setMeta(FIGURES_LAYOUT_KEY, CURRENT_LAYOUT.id)
        if (points > 0) logger.info({ points, layout: CURRENT_LAYOUT.id }, 'rollup points of older layouts rewritten in the current one (not recomputed)')
        resolve()
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'could not transcode rollups of an older layout yet; retrying (readers decode them meanwhile)')
        timer = setTimeout(() => { void attempt() }, RETRY_MS)
        timer.unref()
      }
    }
    void attempt()
  })
  return { done, cancel: () => { cancelled = true; clearTimeout(timer); settle() } }
}
