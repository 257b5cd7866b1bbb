// Rollup points in line protocol and back. InfluxDB 1.x reads each field of each series with
// its own cursor (measured here: ~45 µs each), so everything a reader needs, the local date
// included, travels packed in one string field, `figures`, with a layout version prefix; a few
// plain fields (visits, denied, uniqueWorkers, entries) stay for dashboards that read rollups
// directly. Every field is written on every recompute: InfluxDB merges the fields of a point
// with the same series and timestamp, so a field left out would keep a stale value.
//
// Layouts are never forgotten: a rollup outlives the raw events it was computed from (raw
// events expire after RAW_RETENTION), so a reader decodes every layout this code ever wrote,
// and the job transcodes old points to the current layout (rollups/transcode-rollups.ts)
// instead of recomputing them. Schema and history: docs/rollups.md.
import { formatLine } from '../ingest/line-protocol.ts'
import { COUNT_KEYS, emptyAgg, MAX_KEYS, QUANTITIES, type Agg, type CountKey, type MaxKey } from './aggregate.ts'
import type { DayRow } from './compute-days.ts'
import type { HourRow } from './compute-hours.ts'
import { dateOfYmd } from './day-bounds.ts'
import { decodeDwell, encodeDwell } from './dwell.ts'
import type { PeriodRow } from './period.ts'

export const DAY_MEASUREMENT = 'daily_station'
export const HOUR_MEASUREMENT = 'hourly_station'
export const MONTH_MEASUREMENT = 'monthly_station'

/**
 * A layout of the packed aggregate: which summable keys, in which order. Keys a layout lacks
 * read as 0. To change the layout, add a new one at the end of LAYOUTS and keep the old ones.
 */
export type Layout = { id: string, countKeys: readonly CountKey[], maxKeys: readonly MaxKey[] }

// Spelled out, never derived from COUNT_KEYS: a stored layout must not change when the Agg does.
const V2_COUNTS = [
  'minutes', 'entries', 'denied', 'doorEvents', 'counterEntered', 'counterExited', 'counterMsgs',
  'occKnownMs', 'occPersonMs', 'occFullMs', 'occSlots', 'occSlotsExpected', 'occGaps', 'doorSilentHours',
  'envMinutes', 'envSamples', 'comfortSamples'
] as const satisfies readonly CountKey[]
const V2: Layout = { id: 'v2', countKeys: V2_COUNTS, maxKeys: ['occMax', 'occLongestGapMin'] }
/** v3: + occMessages (every occupancy message, for the implausible-day check); v2 reads it as 0. */
const V3: Layout = { id: 'v3', countKeys: [...V2_COUNTS, 'occMessages'], maxKeys: ['occMax', 'occLongestGapMin'] }

/** Every layout ever written, oldest first; the last one is what the job writes. */
export const LAYOUTS: ReadonlyMap<string, Layout> = new Map([V2, V3].map((l) => [l.id, l]))
export const CURRENT_LAYOUT: Layout = V3
export const FIGURES_VERSION = CURRENT_LAYOUT.id
// The layout the job writes must hold every key of the aggregate, or a figure would be lost.
for (const k of [...COUNT_KEYS, ...MAX_KEYS]) {
  if (![...CURRENT_LAYOUT.countKeys, ...CURRENT_LAYOUT.maxKeys].includes(k)) throw new Error(`rollup layout ${CURRENT_LAYOUT.id} lacks ${k}: add a new layout`)
}

export type MonthRow = PeriodRow & { ym: number }
type Get = (name: string) => unknown

const ns = (ms: number) => `${ms}000000`
const aggWidth = (l: Layout) => l.countKeys.length + l.maxKeys.length + QUANTITIES.length * 5

function packAgg (a: Agg, l: Layout): string {
  const v: number[] = [...l.countKeys.map((k) => a[k]), ...l.maxKeys.map((k) => a[k])]
  for (const q of QUANTITIES) v.push(a[q].n, a[q].sum, a[q].min, a[q].max, a[q].inBand)
  return v.join(',')
}

function unpackAgg (s: string | undefined, l: Layout): Agg {
  const v = (s ?? '').split(',').map(Number)
  if (v.length !== aggWidth(l)) throw new Error(`bad packed aggregate (layout ${l.id})`)
  const a = emptyAgg()
  let i = 0
  for (const k of l.countKeys) a[k] = v[i++]!
  for (const k of l.maxKeys) a[k] = v[i++]!
  for (const q of QUANTITIES) a[q] = { n: v[i++]!, sum: v[i++]!, min: v[i++]!, max: v[i++]!, inBand: v[i++]! }
  return a
}

const nums = (s: string | undefined) => (s ? s.split(',').map(Number) : [])

// Opening hours are round the clock at most stations: then the open-time aggregate is the
// whole-day one, stored as '='.
const packOpen = (agg: Agg, open: Agg, l: Layout) => { const o = packAgg(open, l); return o === packAgg(agg, l) ? '=' : o }
// '=': a copy of the whole-day aggregate already decoded (parsing it again was a tenth of a
// fleet summary's time over thousands of monthly rollups).
const unpackOpen = (s: string | undefined, agg: Agg, l: Layout) => (s === '=' ? copyAgg(agg) : unpackAgg(s, l))
const copyAgg = (a: Agg): Agg => ({ ...a, temperature: { ...a.temperature }, humidity: { ...a.humidity }, co2: { ...a.co2 }, pm25: { ...a.pm25 } })

function dwellField (d: { dwell: DayRow['dwell'] }): string {
  if (!d.dwell) throw new Error('cannot store a rollup without its dwell histogram')
  return encodeDwell(d.dwell)
}

/** The layout of a packed field; null when the field is absent or of a layout this code does not know. */
export function layoutOf (v: unknown): Layout | null {
  if (typeof v !== 'string') return null
  const i = v.indexOf(';')
  return LAYOUTS.get(i < 0 ? v : v.slice(0, i)) ?? null
}

/** Groups of a packed field with its layout, or null (absent, or an unknown layout). */
function groups (v: unknown): { l: Layout, g: string[] } | null {
  const l = layoutOf(v)
  return l ? { l, g: (v as string).split(';').slice(1) } : null
}

const workerList = (v: unknown): string[] | null => (typeof v === 'string' ? (v === '' ? [] : v.split(',')) : null)

export function dayLine (station: string, d: DayRow, l: Layout = CURRENT_LAYOUT): string {
  const head = [d.ymd, d.uniqueWorkers, d.capacity, d.firstTime ?? -1].join(',')
  return formatLine(DAY_MEASUREMENT, { station }, {
    ymd: { int: d.ymd },
    visits: { int: d.agg.entries },
    denied: { int: d.agg.denied },
    uniqueWorkers: { int: d.uniqueWorkers },
    workers: (d.workers ?? []).join(','),
    dwell: dwellField(d),
    figures: [l.id, head, d.byHour.join(','), packAgg(d.agg, l), packOpen(d.agg, d.open, l)].join(';')
  }, ns(d.start))
}

/** A stored day of any known layout, or null when its figures are missing or of an unknown layout. */
export function decodeDay (get: Get): DayRow | null {
  const p = groups(get('figures'))
  if (!p || p.g.length !== 4) return null
  const { l, g } = p
  const [ymd = 0, uniqueWorkers = 0, capacity = 0, firstTime = -1] = nums(g[0])
  const agg = unpackAgg(g[2], l)
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
    open: unpackOpen(g[3], agg, l)
  }
}

export function hourLine (station: string, h: HourRow, l: Layout = CURRENT_LAYOUT): string {
  return formatLine(HOUR_MEASUREMENT, { station }, {
    ymd: { int: h.ymd },
    entries: { int: h.agg.entries },
    figures: [l.id, [h.ymd, h.hour, h.mask, h.openMinutes].join(','), packAgg(h.agg, l)].join(';')
  }, ns(h.start))
}

export function decodeHour (get: Get): HourRow | null {
  const p = groups(get('figures'))
  if (!p || p.g.length !== 2) return null
  const { l, g } = p
  const [ymd = 0, hour = 0, mask = 0, openMinutes = 0] = nums(g[0])
  const agg = unpackAgg(g[1], l)
  const start = get('time') as number
  return { start, end: start + agg.minutes * 60_000, ymd, hour, mask, openMinutes, agg }
}

export function monthLine (station: string, startMs: number, ym: number, m: PeriodRow, l: Layout = CURRENT_LAYOUT): string {
  const head = [ym, m.uniqueWorkers, m.days, m.firstTime ?? -1, m.capacityMsAll, m.capacityMsOpen, m.incompleteOpen, m.incompleteAll].join(',')
  return formatLine(MONTH_MEASUREMENT, { station }, {
    ym: { int: ym },
    uniqueWorkers: { int: m.uniqueWorkers },
    workers: (m.workers ?? []).join(','),
    dwell: dwellField(m),
    figures: [l.id, head, m.byHour.join(','), packAgg(m.agg, l), packOpen(m.agg, m.open, l)].join(';')
  }, ns(startMs))
}

export function decodeMonth (get: Get): MonthRow | null {
  const p = groups(get('figures'))
  if (!p || p.g.length !== 4) return null
  const { l, g } = p
  const [ym = 0, uniqueWorkers = 0, days = 0, firstTime = -1, capacityMsAll = 0, capacityMsOpen = 0, incompleteOpen = 0, incompleteAll = 0] = nums(g[0])
  const agg = unpackAgg(g[2], l)
  return {
    ym,
    days,
    firstTime: firstTime < 0 ? null : firstTime,
    byHour: nums(g[1]),
    dwell: decodeDwell(get('dwell')),
    agg,
    open: unpackOpen(g[3], agg, l),
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

