// Figures of local days from raw events: the one computation behind every number the API
// reports. The rollup job stores its output; the API runs it on raw events for days that have
// no rollup yet. Pure apart from the first-seen lookup (a synchronous SQLite read).
import { addAgg, emptyAgg, gapsOf, type Agg } from './aggregate.ts'
import type { ComfortBand } from './comfort-band.ts'
import { computeHours, type HourRow } from './compute-hours.ts'
import type { LocalDay } from './day-bounds.ts'
import { openIntervals, openPieces, type OpeningHours } from './opening-hours.ts'
import { DWELL_HORIZON_MS, type RawEvents } from './raw-events.ts'

/**
 * Dwell of the day's granted entries. `hist`: whole minutes (floored) from entry to the
 * worker's next door event when that is an exit within DWELL_HORIZON_MS; `open`: entries
 * whose next event is another entry, or none within the horizon (counted at the cap); `anon`:
 * granted entries without a worker id, which cannot be paired.
 */
export type Dwell = { hist: Map<number, number>, open: number, anon: number }

export type DayRow = {
  date: string
  ymd: number
  start: number
  end: number
  /** Station capacity the day was computed with. */
  capacity: number
  uniqueWorkers: number
  /** Sorted pseudonyms of the workers with a granted entry; null when not loaded. */
  workers: string[] | null
  /** Workers whose first entry at any station was this day here; null when unknown. */
  firstTime: number | null
  /** Granted entries per local hour of day 0..23 (a repeated hour merged). */
  byHour: number[]
  /** null when read from a rollup without it (readers ask for it: it is the bulkiest part). */
  dwell: Dwell | null
  /** The whole day, and the part of it inside opening hours. */
  agg: Agg
  open: Agg
}

export type FirstSeen = { station: string, at: number }
export type FirstSeenLookup = (workers: readonly string[]) => Map<string, FirstSeen>

export type ComputeContext = {
  stationId: string
  capacity: number
  timeZone: string
  openingHours: OpeningHours
  band: ComfortBand
  /** null: first-time visitors cannot be known (no first-seen index available). */
  firstSeen: FirstSeenLookup | null
}

export type Computed = {
  days: DayRow[]
  hours: HourRow[]
  /** Earliest granted entry per worker inside the days: what the first-seen index learns. */
  firstEntries: Map<string, number>
  /** The workers counted as first-time visitors, with their entry. */
  newcomers: Map<string, number>
}

/** Sum of consecutive intervals, with occupancy gaps counted across their boundaries. */
export function sumWithGaps (parts: ReadonlyArray<{ start: number, end: number, mask: number, agg: Agg }>): Agg {
  const agg = emptyAgg()
  for (const p of parts) addAgg(agg, p.agg)
  const g = gapsOf(parts)
  agg.occGaps = g.gaps
  agg.occLongestGapMin = g.longestMin
  return agg
}

/** The day containing instant t (days sorted and contiguous). */
function dayIndex (days: readonly LocalDay[], t: number): number {
  let lo = 0
  let hi = days.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const d = days[mid]!
    if (t < d.start) hi = mid - 1
    else if (t >= d.end) lo = mid + 1
    else return mid
  }
  return -1
}

export function computeDays (raw: RawEvents, days: readonly LocalDay[], ctx: ComputeContext): Computed {
  for (let i = 1; i < days.length; i++) {
    if (days[i]!.start !== days[i - 1]!.end) throw new RangeError('computeDays needs consecutive days')
  }
  const rows: DayRow[] = []
  const hours: HourRow[] = []
  const dwells: Dwell[] = []
  for (const day of days) {
    const pieces = openPieces(day, openIntervals(ctx.openingHours, day.date, ctx.timeZone))
    const { hours: dayHours, open: openParts } = computeHours(day, raw, ctx.capacity, ctx.band, pieces)
    const agg = sumWithGaps(dayHours)
    const open = sumWithGaps(openParts)
    const byHour = new Array<number>(24).fill(0)
    for (const h of dayHours) byHour[h.hour] = (byHour[h.hour] ?? 0) + h.agg.entries
    hours.push(...dayHours)
    rows.push({
      date: day.date, ymd: day.ymd, start: day.start, end: day.end, capacity: ctx.capacity,
      uniqueWorkers: 0, workers: [], firstTime: ctx.firstSeen ? 0 : null, byHour,
      dwell: dwells[dwells.push({ hist: new Map(), open: 0, anon: 0 }) - 1]!, agg, open
    })
  }
  if (days.length === 0) return { days: rows, hours, firstEntries: new Map(), newcomers: new Map() }

  // Door events per worker, in time order, for pairing entries with exits.
  const first = days[0]!.start
  const last = days.at(-1)!.end
  const byWorker = new Map<string, Array<{ t: number, in: boolean }>>()
  const workerSets = rows.map(() => new Set<string>())
  const firstEntries = new Map<string, number>()
  for (const d of raw.door) {
    if (!d.granted) continue
    const inRange = d.t >= first && d.t < last
    if (d.worker === null) {
      if (d.in && inRange) dwells[dayIndex(days, d.t)]!.anon++
      continue
    }
    let list = byWorker.get(d.worker)
    if (!list) byWorker.set(d.worker, list = [])
    list.push({ t: d.t, in: d.in })
    if (d.in && inRange) {
      workerSets[dayIndex(days, d.t)]!.add(d.worker)
      if (!firstEntries.has(d.worker)) firstEntries.set(d.worker, d.t)
    }
  }
  for (const list of byWorker.values()) {
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!
      if (!e.in || e.t < first || e.t >= last) continue
      const dwell = dwells[dayIndex(days, e.t)]!
      const next = list[i + 1]
      if (next && !next.in && next.t - e.t < DWELL_HORIZON_MS) {
        const m = Math.floor((next.t - e.t) / 60_000)
        dwell.hist.set(m, (dwell.hist.get(m) ?? 0) + 1)
      } else {
        dwell.open++
      }
    }
  }
  rows.forEach((row, i) => {
    row.workers = [...workerSets[i]!].sort()
    row.uniqueWorkers = row.workers.length
  })

  // First-time visitors: a worker is new on the day of their earliest entry anywhere. The
  // index knows earlier days and other stations; this batch may know an even earlier entry
  // that the index has not seen yet.
  const newcomers = new Map<string, number>()
  if (ctx.firstSeen) {
    const known = ctx.firstSeen([...firstEntries.keys()])
    for (const [worker, at] of firstEntries) {
      const seen = known.get(worker)
      if (seen && (seen.at < at || (seen.at === at && seen.station !== ctx.stationId))) continue
      rows[dayIndex(days, at)]!.firstTime!++
      newcomers.set(worker, at)
    }
  }
  return { days: rows, hours, firstEntries, newcomers }
}
