// Rollup points in line protocol and back. InfluxDB 1.x reads each field of each series with
// its own cursor (measured here: ~45 µs each), so everything a reader needs, the local date
// included, travels packed in one string field, `figures`, with a version prefix; a few plain fields (visits, denied,
// uniqueWorkers, entries) stay for dashboards that read rollups directly. Every field is
// written on every recompute: InfluxDB merges the fields of a point with the same series and
// timestamp, so a field left out would keep a stale value. Schema: docs/rollups.md.
import { formatLine } from '../ingest/line-protocol.ts'
import { COUNT_KEYS, emptyAgg, MAX_KEYS, QUANTITIES, type Agg } from './aggregate.ts'
import type { DayRow } from './compute-days.ts'
import type { HourRow } from './compute-hours.ts'
import { dateOfYmd } from './day-bounds.ts'
import { decodeDwell, encodeDwell } from './dwell.ts'
import type { PeriodRow } from './period.ts'

export const DAY_MEASUREMENT = 'daily_station'
export const HOUR_MEASUREMENT = 'hourly_station'
export const MONTH_MEASUREMENT = 'monthly_station'
/** Bump when the packed layout changes: points of another version read as missing (recomputed from raw). */
export const FIGURES_VERSION = 'v2'

export type MonthRow = PeriodRow & { ym: number }
type Get = (name: string) => unknown

const ns = (ms: number) => `${ms}000000`
const AGG_WIDTH = COUNT_KEYS.length + MAX_KEYS.length + QUANTITIES.length * 5

function packAgg (a: Agg): string {
  const v: number[] = [...COUNT_KEYS.map((k) => a[k]), ...MAX_KEYS.map((k) => a[k])]
  for (const q of QUANTITIES) v.push(a[q].n, a[q].sum, a[q].min, a[q].max, a[q].inBand)
  return v.join(',')
}

function unpackAgg (s: string | undefined): Agg {
  const v = (s ?? '').split(',').map(Number)
  if (v.length !== AGG_WIDTH) throw new Error('bad packed aggregate')
  const a = emptyAgg()
  let i = 0
  for (const k of COUNT_KEYS) a[k] = v[i++]!
  for (const k of MAX_KEYS) a[k] = v[i++]!
  for (const q of QUANTITIES) a[q] = { n: v[i++]!, sum: v[i++]!, min: v[i++]!, max: v[i++]!, inBand: v[i++]! }
  return a
}

const nums = (s: string | undefined) => (s ? s.split(',').map(Number) : [])

// Opening hours are round the clock at most stations: then the open-time aggregate is the
// whole-day one, stored as '='.
const packOpen = (agg: Agg, open: Agg) => { const o = packAgg(open); return o === packAgg(agg) ? '=' : o }
const unpackOpen = (s: string | undefined, agg: string | undefined) => unpackAgg(s === '=' ? agg : s)

function dwellField (d: { dwell: DayRow['dwell'] }): string {
  if (!d.dwell) throw new Error('cannot store a rollup without its dwell histogram')
  return encodeDwell(d.dwell)
}

/** Groups of a packed field, or null when the field is absent or of another version. */
function groups (v: unknown): string[] | null {
  if (typeof v !== 'string') return null
  const g = v.split(';')
  return g[0] === FIGURES_VERSION ? g.slice(1) : null
}

const workerList = (v: unknown): string[] | null => (typeof v === 'string' ? (v === '' ? [] : v.split(',')) : null)

export function dayLine (station: string, d: DayRow): string {
  const head = [d.ymd, d.uniqueWorkers, d.capacity, d.firstTime ?? -1].join(',')
  return formatLine(DAY_MEASUREMENT, { station }, {
    ymd: { int: d.ymd },
    visits: { int: d.agg.entries },
    denied: { int: d.agg.denied },
    uniqueWorkers: { int: d.uniqueWorkers },
    workers: (d.workers ?? []).join(','),
    dwell: dwellField(d),
    figures: [FIGURES_VERSION, head, d.byHour.join(','), packAgg(d.agg), packOpen(d.agg, d.open)].join(';')
  }, ns(d.start))
}

/** A stored day, or null when its figures are missing or of another layout version. */
export function decodeDay (get: Get): DayRow | null {
  const g = groups(get('figures'))
  if (!g || g.length !== 4) return null
  const [ymd = 0, uniqueWorkers = 0, capacity = 0, firstTime = -1] = nums(g[0])
  const agg = unpackAgg(g[2])
  const start = get('time') as number
  return {
    date: dateOfYmd(ymd),
    ymd,
    start,
    end: start + agg.minutes * 60_000,
    capacity,
    uniqueWorkers,
    workers: workerList(get('workers')),
    firstTime: firstTime < 0 ? null : firstTime,
    byHour: nums(g[1]),
    dwell: decodeDwell(get('dwell')),
    agg,
    open: unpackOpen(g[3], g[2])
  }
}

export function hourLine (station: string, h: HourRow): string {
  return formatLine(HOUR_MEASUREMENT, { station }, {
    ymd: { int: h.ymd },
    entries: { int: h.agg.entries },
    figures: [FIGURES_VERSION, [h.ymd, h.hour, h.mask, h.openMinutes].join(','), packAgg(h.agg)].join(';')
  }, ns(h.start))
}

export function decodeHour (get: Get): HourRow | null {
  const g = groups(get('figures'))
  if (!g || g.length !== 2) return null
  const [ymd = 0, hour = 0, mask = 0, openMinutes = 0] = nums(g[0])
  const agg = unpackAgg(g[1])
  const start = get('time') as number
  return { start, end: start + agg.minutes * 60_000, ymd, hour, mask, openMinutes, agg }
}

export function monthLine (station: string, startMs: number, ym: number, m: PeriodRow): string {
  const head = [ym, m.uniqueWorkers, m.days, m.firstTime ?? -1, m.capacityMsAll, m.capacityMsOpen, m.incompleteOpen, m.incompleteAll].join(',')
  return formatLine(MONTH_MEASUREMENT, { station }, {
    ym: { int: ym },
    uniqueWorkers: { int: m.uniqueWorkers },
    workers: (m.workers ?? []).join(','),
    dwell: dwellField(m),
    figures: [FIGURES_VERSION, head, m.byHour.join(','), packAgg(m.agg), packOpen(m.agg, m.open)].join(';')
  }, ns(startMs))
}

export function decodeMonth (get: Get): MonthRow | null {
  const g = groups(get('figures'))
  if (!g || g.length !== 4) return null
  const [ym = 0, uniqueWorkers = 0, days = 0, firstTime = -1, capacityMsAll = 0, capacityMsOpen = 0, incompleteOpen = 0, incompleteAll = 0] = nums(g[0])
  return {
    ym,
    days,
    firstTime: firstTime < 0 ? null : firstTime,
    byHour: nums(g[1]),
    dwell: decodeDwell(get('dwell')),
    agg: unpackAgg(g[2]),
    open: unpackOpen(g[3], g[2]),
    capacityMsAll,
    capacityMsOpen,
    incompleteOpen,
    incompleteAll,
    uniqueWorkers,
    workers: workerList(get('workers'))
  }
}

/** What readers select: one cursor per series (plus `workers` and `dwell` when they need them). */
export const DAY_COLUMNS: readonly string[] = ['figures']
export const HOUR_COLUMNS: readonly string[] = ['figures']
export const MONTH_COLUMNS: readonly string[] = ['figures']

