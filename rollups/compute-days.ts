// Figures of local days from raw events: the one computation behind every number the API
// reports. The rollup job stores its output; the API runs it on raw events for days that have
// no rollup yet. Pure apart from the first-seen lookup (a synchronous SQLite read).
import { addAgg, emptyAgg, gapsOf, type Agg } from './aggregate.ts'
import type { ComfortBand } from './comfort-band.ts'
import { createIntervals, type HourRow } from './compute-hours.ts'
import type { LocalDay } from './day-bounds.ts'
import { openIntervals, openPieces, type OpeningHours } from './opening-hours.ts'
import type { QueryFn } from './influx-query.ts'
import { DWELL_HORIZON_MS, OCCUPANCY_STALE_MS, readRawEvents, type DoorRow, type EnvironmentRow, type OccupancyRow, type RawEvents, type ReadRawOptions } from './raw-events.ts'

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
/** Async: the index may live in PostgreSQL (rollups/rollup-state.ts). */
export type FirstSeenLookup = (workers: readonly string[]) => Promise<Map<string, FirstSeen>>

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

/**
 * The figures of consecutive local days, folded in from raw events. Each stream must come in
 * time order (as InfluxDB returns it), in chunks of any size; streams may interleave. What it
 * holds besides the hour figures: the last occupancy message, per day the set of distinct
 * workers, and per worker the entry waiting for its exit: bounded by real workers, not by
 * events (docs/rollups.md, "Chunked recompute").
 */
export function createDaysAccumulator (days: readonly LocalDay[], ctx: ComputeContext) {
  for (let i = 1; i < days.length; i++) {
    if (days[i]!.start !== days[i - 1]!.end) throw new RangeError('computeDays needs consecutive days')
  }
  const first = days[0]?.start ?? 0
  const last = days.at(-1)?.end ?? 0
  const slots = days.flatMap((day, di) => day.hours.map((h) => ({ ...h, day: di })))
  const pieces = days.map((day) => openPieces(day, openIntervals(ctx.openingHours, day.date, ctx.timeZone)))
  const openBounds = pieces.flatMap((byHour, di) => byHour.flat().map((p) => ({ ...p, day: di })))
  const hours = createIntervals(slots, ctx.capacity, ctx.band)
  const open = createIntervals(openBounds, ctx.capacity, ctx.band)
  const dwells: Dwell[] = days.map(() => ({ hist: new Map(), open: 0, anon: 0 }))
  const workerSets = days.map(() => new Set<string>())
  const firstEntries = new Map<string, number>()
  // A worker's last granted entry, until their next granted door event decides its dwell.
  const waiting = new Map<string, { t: number, day: number }>()
  let lastOcc: OccupancyRow | null = null
  const lastT = { door: -Infinity, occupancy: -Infinity, environment: -Infinity }
  const ordered = (stream: keyof typeof lastT, t: number) => {
    if (t < lastT[stream]) throw new RangeError(`${stream} events out of time order`)
    lastT[stream] = t
  }

  return {
    door (rows: readonly DoorRow[]): void {
      for (const d of rows) {
        ordered('door', d.t)
        const inside = d.t >= first && d.t < last
        if (inside) { hours.door(d); open.door(d) }
        if (!d.granted) continue
        if (d.worker === null) {
          if (d.in && inside) dwells[dayIndex(days, d.t)]!.anon++
          continue
        }
        // An entry pairs with the worker's next granted door event if that is an exit within the horizon.
        const w = waiting.get(d.worker)
        if (w) {
          const dwell = dwells[w.day]!
          if (!d.in && d.t - w.t < DWELL_HORIZON_MS) {
            const m = Math.floor((d.t - w.t) / 60_000)
            dwell.hist.set(m, (dwell.hist.get(m) ?? 0) + 1)
          } else {
            dwell.open++
          }
          waiting.delete(d.worker)
        }
        if (d.in && inside) {
          const day = dayIndex(days, d.t)
          waiting.set(d.worker, { t: d.t, day })
          workerSets[day]!.add(d.worker)
          if (!firstEntries.has(d.worker)) firstEntries.set(d.worker, d.t)
        }
      }
    },
    occupancy (rows: readonly OccupancyRow[]): void {
      for (const m of rows) {
        ordered('occupancy', m.t)
        // The previous count holds until this message, at most OCCUPANCY_STALE_MS.
        if (lastOcc) {
          const until = Math.min(m.t, lastOcc.t + OCCUPANCY_STALE_MS)
          hours.occupancyHeld(lastOcc.count, lastOcc.t, until)
          open.occupancyHeld(lastOcc.count, lastOcc.t, until)
        }
        hours.occupancyMessage(m)
        open.occupancyMessage(m)
        lastOcc = m
      }
    },
    environment (rows: readonly EnvironmentRow[]): void {
      for (const e of rows) {
        ordered('environment', e.t)
        hours.environment(e)
        open.environment(e)
      }
    },
    async finish (): Promise<Computed> {
      if (lastOcc) {
        hours.occupancyHeld(lastOcc.count, lastOcc.t, lastOcc.t + OCCUPANCY_STALE_MS)
        open.occupancyHeld(lastOcc.count, lastOcc.t, lastOcc.t + OCCUPANCY_STALE_MS)
        lastOcc = null
      }
      for (const w of waiting.values()) dwells[w.day]!.open++ // no event within the horizon
      waiting.clear()
      const hourFigures = hours.finish()
      const openFigures = open.finish()
      const rows: DayRow[] = []
      const hourRows: HourRow[] = []
      let hi = 0
      let oi = 0
      days.forEach((day, di) => {
        const dayHours: HourRow[] = []
        pieces[di]!.forEach((hourPieces, i) => {
          const f = hourFigures[hi++]!
          const openMinutes = hourPieces.reduce((n, p) => n + (p.end - p.start), 0) / 60_000
          dayHours.push({ start: f.start, end: f.end, ymd: day.ymd, hour: day.hours[i]!.hour, mask: f.mask, openMinutes, agg: f.agg })
        })
        const dayOpen = openFigures.slice(oi, oi += pieces[di]!.flat().length)
        const byHour = new Array<number>(24).fill(0)
        for (const h of dayHours) byHour[h.hour] = (byHour[h.hour] ?? 0) + h.agg.entries
        hourRows.push(...dayHours)
        const workers = [...workerSets[di]!].sort()
        rows.push({
          date: day.date, ymd: day.ymd, start: day.start, end: day.end, capacity: ctx.capacity,
          uniqueWorkers: workers.length, workers, firstTime: ctx.firstSeen ? 0 : null, byHour,
          dwell: dwells[di]!, agg: sumWithGaps(dayHours), open: sumWithGaps(dayOpen)
        })
      })

      // First-time visitors: a worker is new on the day of their earliest entry anywhere. The
      // index knows earlier days and other stations; this batch may know an even earlier entry
      // that the index has not seen yet.
      const newcomers = new Map<string, number>()
      if (ctx.firstSeen) {
        const known = await ctx.firstSeen([...firstEntries.keys()])
        for (const [worker, at] of firstEntries) {
          const seen = known.get(worker)
          if (seen && (seen.at < at || (seen.at === at && seen.station !== ctx.stationId))) continue
          rows[dayIndex(days, at)]!.firstTime!++
          newcomers.set(worker, at)
        }
      }
      return { days: rows, hours: hourRows, firstEntries, newcomers }
    }
  }
}

export type DaysAccumulator = ReturnType<typeof createDaysAccumulator>

/** computeDays over events already in memory (tests, small ranges). */
export async function computeDays (raw: RawEvents, days: readonly LocalDay[], ctx: ComputeContext): Promise<Computed> {
  const acc = createDaysAccumulator(days, ctx)
  acc.door(raw.door)
  acc.occupancy(raw.occupancy)
  acc.environment(raw.environment)
  return await acc.finish()
}

/** The days' figures from the station's raw events in InfluxDB, read in bounded chunks. */
export async function computeDaysFromInflux (query: QueryFn, days: readonly LocalDay[], ctx: ComputeContext, opts: ReadRawOptions = {}): Promise<Computed> {
  const acc = createDaysAccumulator(days, ctx)
  if (days.length > 0) await readRawEvents(query, ctx.stationId, days[0]!.start, days.at(-1)!.end, acc, opts)
  return await acc.finish()
}
