// Day and hour figures of a station for a range of local dates: from the rollups where they
// exist, computed from raw events (with the same code the rollup job runs) where they do not,
// or where the job still has the day marked dirty (a late upload not rolled up yet). The
// answer says how many days came from where.
import { DEFAULT_BAND, sameBand, type ComfortBand } from '../../rollups/comfort-band.ts'
import { computeDays, computeDaysFromInflux, type DayRow, type FirstSeen, type FirstSeenLookup } from '../../rollups/compute-days.ts'
import type { HourRow } from '../../rollups/compute-hours.ts'
import { datesBetween, localDayOf } from '../../rollups/day-bounds.ts'
import type { QueryFn } from '../../rollups/influx-query.ts'
import type { OpeningHours } from '../../rollups/opening-hours.ts'
import type { Stream } from '../../rollups/raw-events.ts'
import type { DirtyDay } from '../../rollups/rollup-state.ts'
import { readDays, readHours } from '../../rollups/rollup-store.ts'
import { addDays, localDate } from '../../platform/local-day.ts'

/** What the API knows of the rollup job: days still to recompute, and the first-seen index. */
export type RollupStatus = {
  dirtyBetween: (from: string, to: string, station?: string) => Promise<DirtyDay[]>
  /** null while no first-seen index is available (first-time visitors are then unknown). */
  readonly firstSeen: FirstSeenLookup | null
  /** Changes whenever the job writes a monthly rollup of the month (YYYY-MM); absent: fleet answers are not cached. */
  monthGeneration?: (month: string) => Promise<string | null>
}

export type FigureSource = { query: QueryFn, status: RollupStatus | null }
export type StationFacts = { id: string, timezone: string, capacity: number, openingHours: OpeningHours }

export type LoadOptions = {
  /** 'raw' computes every day from raw events (verification, or a non-default comfort band). */
  source?: 'rollup' | 'raw'
  streams?: readonly Stream[]
  hours?: boolean
  /** Read the dwell histograms of rolled-up days too (days from raw always have them). */
  dwell?: boolean
  band?: ComfortBand
}

export type Provenance = { rollupDays: number, rawDays: number }
export type Loaded = { days: DayRow[], hours: HourRow[], provenance: Provenance }

const RAW_BATCH_DAYS = 31
export const RAW_SOURCE_MAX_DAYS = 92

/** Consecutive runs of sorted dates, each at most maxLen long. */
export function runsOf (dates: readonly string[], maxLen: number): string[][] {
  const runs: string[][] = []
  for (const d of dates) {
    const run = runs.at(-1)
    if (run && run.length < maxLen && addDays(run.at(-1)!, 1) === d) run.push(d)
    else runs.push([d])
  }
  return runs
}

const NO_EVENTS = { door: [], occupancy: [], environment: [] }

/**
 * Days (and their hours) computed from raw events, in batches of consecutive dates. A day
 * after the station's today that nothing marked dirty has no events: it is computed without
 * asking InfluxDB (unless `everyDayFromRaw`).
 */
export async function computeFromRaw (src: FigureSource, station: StationFacts, dates: readonly string[], opts: LoadOptions = {}, everyDayFromRaw = false, learnt = new Map<string, FirstSeen>()): Promise<{ days: DayRow[], hours: HourRow[], learnt: Map<string, FirstSeen> }> {
  const days: DayRow[] = []
  const hours: HourRow[] = []
  const firstSeen = withLearnt(src.status?.firstSeen ?? null, learnt)
  const today = localDate(Date.now(), station.timezone)
  const dirty = new Set(dates.some((d) => d > today) ? (await src.status?.dirtyBetween(today, dates.at(-1)!, station.id) ?? []).map((d) => d.date) : [])
  const empty = (d: string) => !everyDayFromRaw && d > today && !dirty.has(d)
  // Runs of consecutive dates that are all empty or all to be read.
  const runs = runsOf(dates, RAW_BATCH_DAYS).flatMap((run) => {
    const parts: string[][] = []
    for (const d of run) {
      const part = parts.at(-1)
      if (part && empty(part[0]!) === empty(d)) part.push(d)
      else parts.push([d])
    }
    return parts
  })
  for (const run of runs) {
    const local = run.map((d) => localDayOf(d, station.timezone))
    const ctx = {
      stationId: station.id,
      capacity: station.capacity,
      timeZone: station.timezone,
      openingHours: station.openingHours,
      band: opts.band ?? DEFAULT_BAND,
      firstSeen
    }
    const computed = empty(run[0]!)
      ? await computeDays(NO_EVENTS, local, ctx)
      : await computeDaysFromInflux(src.query, local, ctx, opts.streams ? { streams: opts.streams } : {})
    days.push(...computed.days)
    hours.push(...computed.hours)
    // Later runs must not count these workers again (the index learns them only when the job runs).
    for (const [worker, at] of computed.newcomers) learnt.set(worker, { station: station.id, at })
  }
  return { days, hours, learnt }
}

/**
 * The first-seen index, corrected by first entries found in raw events of this request that
 * the index does not know yet (a late upload for an earlier day, not rolled up).
 */
function withLearnt (index: FirstSeenLookup | null, learnt: ReadonlyMap<string, FirstSeen>): FirstSeenLookup | null {
  if (!index) return null
  return async (workers) => {
    const known = await index(workers)
    for (const w of workers) {
      const l = learnt.get(w)
      const k = known.get(w)
      if (l && (!k || l.at < k.at)) known.set(w, l)
    }
    return known
  }
}

/**
 * Rolled-up days of this station that count as first-time visitors workers whom raw days of
 * this request saw earlier: the index still names the later day as their first, and the job
 * has not recomputed the earlier one yet (its recompute then marks the later day dirty). Until
 * then the later day's rollup is stale, though nothing has marked it.
 */
async function staleFirstTimeDays (index: FirstSeenLookup | null, station: StationFacts, learnt: ReadonlyMap<string, FirstSeen>): Promise<string[]> {
  if (!index || learnt.size === 0) return []
  const known = await index([...learnt.keys()])
  const dates = new Set<string>()
  for (const [worker, l] of learnt) {
    const k = known.get(worker)
    if (k && k.station === station.id && k.at > l.at) dates.add(localDate(k.at, station.timezone))
  }
  return [...dates].sort()
}

/**
 * Figures of one station's days from..to, every day present (zeros for days without data).
 * Rollup days that the job has marked dirty are recomputed from raw, so per-station figures
 * include events stored a moment ago.
 */
export async function loadStationDays (src: FigureSource, station: StationFacts, from: string, to: string, opts: LoadOptions = {}): Promise<Loaded> {
  const dates = datesBetween(from, to)
  const forceRaw = opts.source === 'raw' || (opts.band !== undefined && !sameBand(opts.band, DEFAULT_BAND))
  if (forceRaw) {
    const { days, hours } = await computeFromRaw(src, station, dates, opts, true)
    return { days, hours: opts.hours ? hours : [], provenance: { rollupDays: 0, rawDays: days.length } }
  }
  const scope = { stations: [station.id], from, to }
  const [dayRows, hourRows] = await Promise.all([
    readDays(src.query, scope, { dwell: opts.dwell ?? false }).then((m) => m.get(station.id) ?? []),
    opts.hours ? readHours(src.query, scope).then((m) => m.get(station.id) ?? []) : Promise.resolve([])
  ])
  const dirty = new Set((await src.status?.dirtyBetween(from, to, station.id) ?? []).map((d) => d.date))
  const byDate = new Map(dayRows.map((d) => [d.date, d]))
  const hoursByYmd = new Map<number, HourRow[]>()
  for (const h of hourRows) {
    const list = hoursByYmd.get(h.ymd)
    if (list) list.push(h)
    else hoursByYmd.set(h.ymd, [h])
  }
  const usable = (d: DayRow | undefined): d is DayRow => d !== undefined && !dirty.has(d.date) && (!opts.hours || hoursByYmd.has(d.ymd))
  let missing = dates.filter((d) => !usable(byDate.get(d)))
  const computed = missing.length > 0 ? await computeFromRaw(src, station, missing, opts) : { days: [], hours: [], learnt: new Map<string, FirstSeen>() }
  // Rolled-up days made stale by what the raw days found: computed from raw too, with it.
  const stale = (await staleFirstTimeDays(src.status?.firstSeen ?? null, station, computed.learnt)).filter((d) => d >= from && d <= to && !missing.includes(d))
  if (stale.length > 0) {
    const again = await computeFromRaw(src, station, stale, opts, false, computed.learnt)
    computed.days.push(...again.days)
    computed.hours.push(...again.hours)
    missing = [...missing, ...stale]
  }
  for (const d of computed.days) byDate.set(d.date, d)
  const rawYmd = new Set(computed.days.map((d) => d.ymd))
  const hours = opts.hours
    ? [...hourRows.filter((h) => !rawYmd.has(h.ymd)), ...computed.hours].sort((a, b) => a.start - b.start)
    : []
  return {
    days: dates.map((d) => byDate.get(d)!),
    hours,
    provenance: { rollupDays: dates.length - missing.length, rawDays: missing.length }
  }
}
