// Reads rollup points back as DayRow / HourRow / MonthRow, for one station or many. Days are
// selected by their local date (the `ymd` field), so one query serves stations in different
// time zones: the time bounds only need to be wide enough. Rollups live in their own retention
// policy (kept forever, raw events expire): every read names it.
import { ROLLUP_RETENTION_POLICY } from '../platform/influx.ts'
import { addDays } from '../platform/local-day.ts'
import type { DayRow } from './compute-days.ts'
import type { HourRow } from './compute-hours.ts'
import { ymdOf } from './day-bounds.ts'
import { stationFilter, type Placeholders, type QueryFn, type Series } from './influx-query.ts'
import { DAY_COLUMNS, DAY_MEASUREMENT, decodeDay, decodeHour, decodeMonth, HOUR_COLUMNS, HOUR_MEASUREMENT, MONTH_COLUMNS, MONTH_MEASUREMENT, type MonthRow } from './rollup-codec.ts'

const HOUR_MS = 3_600_000

/** UTC bounds that contain local days from..to in every zone (offsets −12 h … +14 h). */
export function utcWindow (from: string, to: string): { start: number, end: number } {
  return { start: Date.parse(`${from}T00:00:00Z`) - 14 * HOUR_MS, end: Date.parse(`${addDays(to, 1)}T00:00:00Z`) + 12 * HOUR_MS }
}

export type Scope = {
  /** Station ids, or 'all' for every station that has rollups. */
  stations: readonly string[] | 'all'
  from: string
  to: string
}

function statement (measurement: string, columns: readonly string[], scope: Scope, placeholders: Placeholders): string {
  const { start, end } = utcWindow(scope.from, scope.to)
  placeholders.from = new Date(start).toISOString()
  placeholders.to = new Date(end).toISOString()
  const stations = scope.stations === 'all' ? '' : ` AND ${stationFilter(scope.stations, placeholders)}`
  return `SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM "${ROLLUP_RETENTION_POLICY}"."${measurement}" WHERE time >= $from AND time < $to${stations} GROUP BY "station"`
}

/** Rows by station; a row that decodes to null (missing or other-version figures) is left out. */
function collect<T> (series: Series[], decode: (get: (name: string) => unknown) => T | null, keep: (row: T) => boolean): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const s of series) {
    const station = s.tags?.station
    if (!station) continue
    const idx = new Map(s.columns.map((c, i) => [c, i]))
    const list: T[] = []
    for (const v of s.values) {
      const row = decode((name) => v[idx.get(name) ?? -1])
      if (row !== null && keep(row)) list.push(row)
    }
    out.set(station, list)
  }
  return out
}

/** Extra fields to read: worker sets (distinct counts) and dwell histograms. */
export type ReadOptions = { workers?: boolean, dwell?: boolean }
const withExtras = (columns: readonly string[], opts: ReadOptions) => [...columns, ...(opts.workers ? ['workers'] : []), ...(opts.dwell ? ['dwell'] : [])]

export async function readDays (query: QueryFn, scope: Scope, opts: ReadOptions = {}): Promise<Map<string, DayRow[]>> {
  if (scope.stations !== 'all' && scope.stations.length === 0) return new Map()
  const placeholders: Placeholders = {}
  const columns = withExtras(DAY_COLUMNS, opts)
  const [series = []] = await query([statement(DAY_MEASUREMENT, columns, scope, placeholders)], placeholders)
  const lo = ymdOf(scope.from)
  const hi = ymdOf(scope.to)
  return collect(series, decodeDay, (d) => d.ymd >= lo && d.ymd <= hi)
}

/** Only the worker sets of days (for distinct counts over a range). */
export async function readDayWorkers (query: QueryFn, scope: Scope): Promise<Map<string, Array<{ ymd: number, workers: string[] }>>> {
  if (scope.stations !== 'all' && scope.stations.length === 0) return new Map()
  const placeholders: Placeholders = {}
  const [series = []] = await query([statement(DAY_MEASUREMENT, ['ymd', 'workers'], scope, placeholders)], placeholders)
  const lo = ymdOf(scope.from)
  const hi = ymdOf(scope.to)
  return collect(series, (get) => ({ ymd: Number(get('ymd')), workers: typeof get('workers') === 'string' && get('workers') !== '' ? (get('workers') as string).split(',') : [] }),
    (d) => d.ymd >= lo && d.ymd <= hi)
}

export async function readHours (query: QueryFn, scope: Scope): Promise<Map<string, HourRow[]>> {
  if (scope.stations !== 'all' && scope.stations.length === 0) return new Map()
  const placeholders: Placeholders = {}
  const [series = []] = await query([statement(HOUR_MEASUREMENT, HOUR_COLUMNS, scope, placeholders)], placeholders)
  const lo = ymdOf(scope.from)
  const hi = ymdOf(scope.to)
  return collect(series, decodeHour, (h) => h.ymd >= lo && h.ymd <= hi)
}

/** Month rows whose month lies inside from..to (from/to: first and last day of the months). */
export async function readMonths (query: QueryFn, scope: Scope, opts: ReadOptions = {}): Promise<Map<string, MonthRow[]>> {
  if (scope.stations !== 'all' && scope.stations.length === 0) return new Map()
  const placeholders: Placeholders = {}
  const columns = withExtras(MONTH_COLUMNS, opts)
  const [series = []] = await query([statement(MONTH_MEASUREMENT, columns, scope, placeholders)], placeholders)
  const lo = Math.floor(ymdOf(scope.from) / 100)
  const hi = Math.floor(ymdOf(scope.to) / 100)
  return collect(series, decodeMonth, (m) => m.ym >= lo && m.ym <= hi)
}
