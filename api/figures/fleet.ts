// Figures of many stations at once, ranked. One rollup query covers every station (days are
// picked by their local date, so time zones may differ); station-days without a rollup are
// computed from raw events. Unlike a single station, days the job has marked dirty are read
// from their existing rollup and counted as `pendingDays`: recomputing today for hundreds of
// stations on every request would cost more than the few minutes of staleness it removes.
import { monthBounds, monthOf } from '../../rollups/day-bounds.ts'
import type { DayRow } from '../../rollups/compute-days.ts'
import { readDays, readMonths } from '../../rollups/rollup-store.ts'
import { datesBetween } from '../../rollups/day-bounds.ts'
import { computeFromRaw, type FigureSource } from './day-source.ts'
import { loadWorkerSets } from './distinct-workers.ts'
import { aggOf, capacityMs, completenessFigures, comfortFigures, heatmapOf, occupancyFigures, sumDays } from './figures.ts'
import type { StationInfo } from './station.ts'
import { usageOf } from './usage.ts'

export type FleetProvenance = { rollupDays: number, rawDays: number, pendingDays: number }

const RAW_CONCURRENCY = 4

export async function loadFleetDays (src: FigureSource, stations: readonly StationInfo[], from: string, to: string, everyStation: boolean): Promise<{ days: Map<string, DayRow[]>, provenance: FleetProvenance }> {
  const dates = datesBetween(from, to)
  const rows = await readDays(src.query, { stations: everyStation ? 'all' : stations.map((s) => s.id), from, to })
  const dirty = new Set((src.status?.dirtyBetween(from, to) ?? []).map((d) => `${d.station}|${d.date}`))
  const provenance: FleetProvenance = { rollupDays: 0, rawDays: 0, pendingDays: 0 }
  const out = new Map<string, DayRow[]>()
  const todo: Array<() => Promise<void>> = []
  for (const s of stations) {
    const byDate = new Map((rows.get(s.id) ?? []).map((d) => [d.date, d]))
    const missing = dates.filter((d) => !byDate.has(d))
    provenance.rollupDays += dates.length - missing.length
    provenance.rawDays += missing.length
    for (const d of byDate.keys()) if (dirty.has(`${s.id}|${d}`)) provenance.pendingDays++
    out.set(s.id, dates.map((d) => byDate.get(d)!))
    if (missing.length > 0) {
      todo.push(async () => {
        const computed = await computeFromRaw(src, s, missing)
        for (const d of computed.days) byDate.set(d.date, d)
        out.set(s.id, dates.map((d) => byDate.get(d)!))
      })
    }
  }
  // Bounded: a range nobody has rolled up yet must not open hundreds of queries at once.
  for (let i = 0; i < todo.length; i += RAW_CONCURRENCY) await Promise.all(todo.slice(i, i + RAW_CONCURRENCY).map((f) => f()))
  return { days: out, provenance }
}

/** Distinct workers per station: the monthly rollup when the range is one whole month, else unions of sets. */
export async function stationWorkers (src: FigureSource, stations: readonly StationInfo[], days: Map<string, DayRow[]>, from: string, to: string, everyStation: boolean): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const m = monthOf(from)
  const whole = monthBounds(m)
  if (whole.first === from && whole.last === to) {
    const months = await readMonths(src.query, { stations: everyStation ? 'all' : stations.map((s) => s.id), from, to })
    for (const s of stations) {
      const row = months.get(s.id)?.[0]
      const allRolledUp = (days.get(s.id) ?? []).every((d) => d.workers === null)
      if (row && allRolledUp) out.set(s.id, row.uniqueWorkers)
    }
  }
  for (const s of stations) {
    if (out.has(s.id)) continue
    const list = days.get(s.id) ?? []
    const sets = await loadWorkerSets(src, s.id, list, [{ from, to }])
    out.set(s.id, sets.count(from, to))
  }
  return out
}

export type FleetMetric = 'visits' | 'uniqueWorkers' | 'firstTimeVisitors' | 'utilisation' | 'comfort' | 'completeness'

export function stationSummary (s: StationInfo, days: readonly DayRow[], uniqueWorkers: number, from: string, to: string) {
  const usage = usageOf(days, { from, to }, { count: () => uniqueWorkers, union: () => new Set() })
  const open = sumDays(days, 'open')
  const occ = occupancyFigures(open, capacityMs(days.map((d) => ({ agg: aggOf(d, 'open'), capacity: d.capacity }))))
  const completeness = completenessFigures(open)
  const incompleteDays = days.filter((d) => !completenessFigures(d.open).complete).length
  return {
    stationId: s.id,
    name: s.name,
    district: s.district,
    ...usage,
    uniqueWorkers: days.length === 1 ? days[0]!.uniqueWorkers : uniqueWorkers,
    utilisation: occ.utilisation,
    meanOccupancy: occ.meanOccupancy,
    maxOccupancy: occ.maxOccupancy,
    minutesAtCapacity: occ.minutesAtCapacity,
    comfortShare: comfortFigures(open).share,
    environmentShare: completeness.environment.share,
    occupancyGaps: completeness.occupancy.gaps,
    incompleteDays,
    busiestHour: heatmapOf(days).busiestHour
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
