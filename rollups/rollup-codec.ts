// Rollup points in line protocol and back. Every field is written on every recompute, so a
// recomputed point fully replaces the old one (InfluxDB merges fields of the same series and
// timestamp: a field left out would keep its stale value). Schema: docs/rollups.md.
import { formatLine, type Fields } from '../ingest/line-protocol.ts'
import { COUNT_KEYS, emptyAgg, MAX_KEYS, QUANTITIES, type Agg } from './aggregate.ts'
import type { DayRow } from './compute-days.ts'
import type { HourRow } from './compute-hours.ts'
import { dateOfYmd } from './day-bounds.ts'
import { decodeHist, encodeHist } from './dwell.ts'

export const DAY_MEASUREMENT = 'daily_station'
export const HOUR_MEASUREMENT = 'hourly_station'
export const MONTH_MEASUREMENT = 'monthly_station'

export type MonthRow = { ym: number, uniqueWorkers: number, workers: string[] | null }

const ns = (ms: number) => `${ms}000000`
const STAT_PARTS = ['n', 'sum', 'min', 'max', 'in'] as const
const statField = (q: string, p: string) => `${q}_${p}`

// The open-time aggregate of a day is stored beside the whole-day one, its fields prefixed.
const OPEN = 'o_'

function aggFields (a: Agg, prefix = ''): Fields {
  const f: Fields = {}
  for (const k of COUNT_KEYS) f[prefix + k] = { int: a[k] }
  f[prefix + 'occMax'] = { int: a.occMax }
  f[prefix + 'occLongestGapMin'] = a.occLongestGapMin
  for (const q of QUANTITIES) {
    const s = a[q]
    f[prefix + statField(q, 'n')] = { int: s.n }
    f[prefix + statField(q, 'in')] = { int: s.inBand }
    f[prefix + statField(q, 'sum')] = s.sum
    f[prefix + statField(q, 'min')] = s.min
    f[prefix + statField(q, 'max')] = s.max
  }
  return f
}

export const AGG_COLUMNS: readonly string[] = [
  ...COUNT_KEYS, ...MAX_KEYS, ...QUANTITIES.flatMap((q) => STAT_PARTS.map((p) => statField(q, p)))
]
export const DAY_COLUMNS: readonly string[] = [
  'ymd', 'capacity', 'uniqueWorkers', 'firstTime', 'byHour', 'dwell', 'dwellOpen', 'dwellAnon', ...AGG_COLUMNS, ...AGG_COLUMNS.map((c) => OPEN + c)
]
export const HOUR_COLUMNS: readonly string[] = ['ymd', 'hour', 'mask', 'openMinutes', ...AGG_COLUMNS]

export function dayLine (station: string, d: DayRow): string {
  return formatLine(DAY_MEASUREMENT, { station }, {
    ymd: { int: d.ymd },
    capacity: { int: d.capacity },
    uniqueWorkers: { int: d.uniqueWorkers },
    workers: (d.workers ?? []).join(','),
    firstTime: { int: d.firstTime ?? -1 },
    byHour: d.byHour.join(','),
    dwell: encodeHist(d.dwell.hist),
    dwellOpen: { int: d.dwell.open },
    dwellAnon: { int: d.dwell.anon },
    ...aggFields(d.agg),
    ...aggFields(d.open, OPEN)
  }, ns(d.start))
}

export function hourLine (station: string, h: HourRow): string {
  return formatLine(HOUR_MEASUREMENT, { station }, { ymd: { int: h.ymd }, hour: { int: h.hour }, mask: { int: h.mask }, openMinutes: h.openMinutes, ...aggFields(h.agg) }, ns(h.start))
}

export function monthLine (station: string, startMs: number, m: MonthRow): string {
  return formatLine(MONTH_MEASUREMENT, { station }, { ym: { int: m.ym }, uniqueWorkers: { int: m.uniqueWorkers }, workers: (m.workers ?? []).join(',') }, ns(startMs))
}

type Get = (name: string) => unknown
const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0) // ints and floats alike

function aggOf (get: Get, prefix = ''): Agg {
  const a = emptyAgg()
  const v = (name: string) => int(get(prefix + name))
  for (const k of COUNT_KEYS) a[k] = v(k)
  for (const k of MAX_KEYS) a[k] = v(k)
  for (const q of QUANTITIES) {
    a[q] = { n: v(statField(q, 'n')), inBand: v(statField(q, 'in')), sum: v(statField(q, 'sum')), min: v(statField(q, 'min')), max: v(statField(q, 'max')) }
  }
  return a
}

const workerList = (v: unknown): string[] | null => (typeof v === 'string' ? (v === '' ? [] : v.split(',')) : null)

export function decodeDay (get: Get): DayRow {
  const ymd = int(get('ymd'))
  const byHour = typeof get('byHour') === 'string' ? (get('byHour') as string).split(',').map(Number) : new Array<number>(24).fill(0)
  const firstTime = int(get('firstTime'))
  const agg = aggOf(get)
  const start = get('time') as number
  return {
    date: dateOfYmd(ymd),
    ymd,
    start,
    end: start + agg.minutes * 60_000,
    capacity: int(get('capacity')),
    uniqueWorkers: int(get('uniqueWorkers')),
    workers: workerList(get('workers')),
    firstTime: firstTime < 0 ? null : firstTime,
    byHour,
    dwell: { hist: decodeHist(get('dwell')), open: int(get('dwellOpen')), anon: int(get('dwellAnon')) },
    agg,
    open: aggOf(get, OPEN)
  }
}

export function decodeHour (get: Get): HourRow {
  const agg = aggOf(get)
  const start = get('time') as number
  return { start, end: start + agg.minutes * 60_000, ymd: int(get('ymd')), hour: int(get('hour')), mask: int(get('mask')), openMinutes: int(get('openMinutes')), agg }
}

export function decodeMonth (get: Get): MonthRow {
  return { ym: int(get('ym')), uniqueWorkers: int(get('uniqueWorkers')), workers: workerList(get('workers')) }
}
