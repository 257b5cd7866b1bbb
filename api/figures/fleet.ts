// Figures of many stations at once, ranked. A whole calendar month is read from the monthly
// rollups (one point per station); other ranges, and stations whose month rollup is not
// complete, from the daily rollups (one query for all stations; days are picked by their local
// date, so time zones may differ), with station-days without a rollup computed from raw
// events. Unlike a single station, days the job has marked dirty are read from their existing
// rollup and counted as `pendingDays`: recomputing today for hundreds of stations on every
// request would cost more than the few minutes of staleness it removes.
import { datesBetween, monthBounds, monthOf } from '../../rollups/day-bounds.ts'
import type { DayRow } from '../../rollups/compute-days.ts'
import { periodOf, type PeriodRow } from '../../rollups/period.ts'
import { readDays, readMonths } from '../../rollups/rollup-store.ts'
import { localDate } from '../../platform/local-day.ts'
import { computeFromRaw, type FigureSource } from './day-source.ts'
import { loadWorkerSets } from './distinct-workers.ts'
import { comfortFigures, completenessFigures, occupancyFigures } from './figures.ts'
import type { StationInfo } from './station.ts'
import { usageOfPeriod } from './usage.ts'

export type FleetProvenance = { rollupDays: number, rawDays: number, pendingDays: number }
export type StationPeriod = { station: StationInfo, period: PeriodRow, days: DayRow[] | null }

const RAW_CONCURRENCY = 4

async function bounded (tasks: Array<() => Promise<void>>): Promise<void> {
  for (let i = 0; i < tasks.length; i += RAW_CONCURRENCY) await Promise.all(tasks.slice(i, i + RAW_CONCURRENCY).map((f) => f()))
}

/** Every station's period from..to, with distinct workers. */
export async function loadFleet (src: FigureSource, stations: readonly StationInfo[], from: string, to: string, everyStation: boolean, opts: { dwell?: boolean } = {}): Promise<{ periods: StationPeriod[], provenance: FleetProvenance }> {
  const provenance: FleetProvenance = { rollupDays: 0, rawDays: 0, pendingDays: 0 }
  const dirty = await src.status?.dirtyBetween(from, to) ?? []
  const scope = everyStation ? 'all' as const : stations.map((s) => s.id)
  const out = new Map<string, StationPeriod>()

  // A whole month: the monthly rollup, when it sums every day of the month up to today.
  const whole = monthBounds(monthOf(from))
  if (whole.first === from && whole.last === to) {
    const months = await readMonths(src.query, { stations: scope, from, to }, opts)
    for (const s of stations) {
      const row = months.get(s.id)?.[0]
      const today = localDate(Date.now(), s.timezone)
      const expected = datesBetween(from, to < today ? to : today).length
      if (row && row.days >= expected) {
        out.set(s.id, { station: s, period: row, days: null })
        provenance.rollupDays += row.days
      }
    }
  }

  const rest = stations.filter((s) => !out.has(s.id))
  if (rest.length > 0) {
    const dates = datesBetween(from, to)
    const rows = await readDays(src.query, { stations: rest.length === stations.length ? scope : rest.map((s) => s.id), from, to }, opts)
    const tasks: Array<() => Promise<void>> = []
    for (const s of rest) {
      const byDate = new Map((rows.get(s.id) ?? []).map((d) => [d.date, d]))
      const missing = dates.filter((d) => !byDate.has(d))
      provenance.rollupDays += dates.length - missing.length
      provenance.rawDays += missing.length
      tasks.push(async () => {
        if (missing.length > 0) for (const d of (await computeFromRaw(src, s, missing)).days) byDate.set(d.date, d)
        const days = dates.map((d) => byDate.get(d)!)
        const period = periodOf(days)
        period.uniqueWorkers = days.length === 1 ? days[0]!.uniqueWorkers : (await loadWorkerSets(src, s.id, days, [{ from, to }])).count(from, to)
        out.set(s.id, { station: s, period, days })
      })
    }
    // Bounded: a range nobody has rolled up yet must not open hundreds of queries at once.
    await bounded(tasks)
  }
  const ids = new Set(stations.map((s) => s.id))
  provenance.pendingDays = dirty.filter((d) => ids.has(d.station)).length
  return { periods: stations.map((s) => out.get(s.id)!), provenance }
}

export type FleetMetric = 'visits' | 'uniqueWorkers' | 'firstTimeVisitors' | 'utilisation' | 'comfort' | 'completeness'

const busiestHourOf = (byHour: readonly number[]) => {
  let best: { hour: number, entries: number } | null = null
  byHour.forEach((n, hour) => { if (n > 0 && (!best || n > best.entries)) best = { hour, entries: n } })
  return best as { hour: number, entries: number } | null
}

export function stationSummary ({ station: s, period: p }: StationPeriod, from: string, to: string) {
  const usage = usageOfPeriod(p, { from, to }, p.uniqueWorkers)
  const occ = occupancyFigures(p.open, p.capacityMsOpen)
  const completeness = completenessFigures(p.open)
  return {
    stationId: s.id,
    name: s.name,
    district: s.district,
    ...usage,
    utilisation: occ.utilisation,
    meanOccupancy: occ.meanOccupancy,
    maxOccupancy: occ.maxOccupancy,
    minutesAtCapacity: occ.minutesAtCapacity,
    comfortShare: comfortFigures(p.open).share,
    environmentShare: completeness.environment.share,
    occupancyGaps: completeness.occupancy.gaps,
    incompleteDays: p.incompleteOpen,
    busiestHour: busiestHourOf(p.byHour)
  }
}

export type StationSummary = ReturnType<typeof stationSummary>

const metricOf = (r: StationSummary, m: FleetMetric): number => {
  const v = m === 'comfort' ? r.comfortShare : m === 'completeness' ? r.environmentShare : r[m]
  return v ?? -Infinity
}

/** Highest first, ties by station id; equal values share a rank (1, 2, 2, 4). */
export function rank<T extends StationSummary> (rows: T[], metric: FleetMetric): Array<T & { rank: number }> {
  const sorted = [...rows].sort((a, b) => metricOf(b, metric) - metricOf(a, metric) || a.stationId.localeCompare(b.stationId))
  let rankOf = 0
  return sorted.map((r, i) => {
    if (i === 0 || metricOf(sorted[i - 1]!, metric) !== metricOf(r, metric)) rankOf = i + 1
    return { ...r, rank: rankOf }
  })
}

export function districtsOf (rows: readonly StationSummary[]) {
  const by = new Map<string, { district: string, stations: number, visits: number, denied: number, firstTimeVisitors: number | null, counterEntries: number | null }>()
  for (const r of rows) {
    const d = by.get(r.district) ?? { district: r.district, stations: 0, visits: 0, denied: 0, firstTimeVisitors: 0, counterEntries: null }
    d.stations++
    d.visits += r.visits
    d.denied += r.denied
    d.firstTimeVisitors = d.firstTimeVisitors === null || r.firstTimeVisitors === null ? null : d.firstTimeVisitors + r.firstTimeVisitors
    if (r.counterEntries !== null) d.counterEntries = (d.counterEntries ?? 0) + r.counterEntries
    by.set(r.district, d)
  }
  const list = [...by.values()].sort((a, b) => b.visits - a.visits || a.district.localeCompare(b.district))
  return list.map((d) => ({ ...d, rank: 1 + list.filter((x) => x.visits > d.visits).length }))
}
