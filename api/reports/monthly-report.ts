// Monthly reports, per station and per fleet: the figures of the month as JSON (machine keys;
// report-tables.ts makes the tables for people of the CSV and XLSX from it). Built from the
// same loaders as the figure endpoints.
import type { DayRow } from '../../rollups/compute-days.ts'
import { monthBounds } from '../../rollups/day-bounds.ts'
import { addDwell, DEFAULT_DWELL_CAP_MIN, dwellStats, emptyDwell } from '../../rollups/dwell.ts'
import { readMonths } from '../../rollups/rollup-store.ts'
import { loadStationDays, type FigureSource } from '../figures/day-source.ts'
import { loadWorkerSets } from '../figures/distinct-workers.ts'
import { capacityMs, comfortFigures, completenessFigures, heatmapOf, occupancyFigures, sumDays } from '../figures/figures.ts'
import { districtsOf, loadFleet, rank, stationSummary, type StationPeriod } from '../figures/fleet.ts'
import type { StationInfo } from '../figures/station.ts'
import { usageOf } from '../figures/usage.ts'
import type { AlertMonthSummary } from './alert-summary.ts'

const dwellOf = (days: readonly DayRow[]) => {
  const d = emptyDwell()
  for (const day of days) addDwell(d, day.dwell)
  const s = dwellStats(d, DEFAULT_DWELL_CAP_MIN, 10)
  return { capMinutes: DEFAULT_DWELL_CAP_MIN, entries: s.entries, medianMinutes: s.medianMinutes, p90Minutes: s.p90Minutes, meanMinutes: s.meanMinutes, atCap: s.atCap }
}

function dayRow (d: DayRow) {
  const occ = occupancyFigures(d.open, capacityMs([{ agg: d.open, capacity: d.capacity }]))
  const comfort = comfortFigures(d.open)
  const c = completenessFigures(d.open)
  return {
    date: d.date,
    visits: d.agg.entries,
    uniqueWorkers: d.uniqueWorkers,
    denied: d.agg.denied,
    counterEntries: d.agg.counterMsgs > 0 ? d.agg.counterEntered : null,
    firstTimeVisitors: d.firstTime,
    meanOccupancy: occ.meanOccupancy,
    maxOccupancy: occ.maxOccupancy,
    utilisation: occ.utilisation,
    minutesAtCapacity: occ.minutesAtCapacity,
    medianDwellMinutes: dwellOf([d]).medianMinutes,
    comfortShare: comfort.share,
    temperatureMean: comfort.temperature?.mean ?? null,
    humidityMean: comfort.humidity?.mean ?? null,
    co2Mean: comfort.co2?.mean ?? null,
    pm25Mean: comfort.pm25?.mean ?? null,
    environmentShare: c.environment.share,
    occupancyGaps: c.occupancy.gaps,
    doorSilentHours: c.door.silentHours,
    complete: c.complete
  }
}

export async function stationReport (src: FigureSource, station: StationInfo, month: string, alerts?: AlertMonthSummary) {
  const { first, last } = monthBounds(month)
  const loaded = await loadStationDays(src, station, first, last, { dwell: true })
  const sets = await loadWorkerSets(src, station.id, loaded.days, [{ from: first, to: last }])
  const open = sumDays(loaded.days, 'open')
  const days = loaded.days.map(dayRow)
  const summary = {
    ...usageOf(loaded.days, { from: first, to: last }, sets),
    occupancy: occupancyFigures(open, capacityMs(loaded.days.map((d) => ({ agg: d.open, capacity: d.capacity })))),
    dwell: dwellOf(loaded.days),
    comfort: comfortFigures(open),
    completeness: { ...completenessFigures(open), incompleteDays: days.filter((d) => !d.complete).length },
    busiestHour: heatmapOf(loaded.days).busiestHour,
    ...(alerts ? { alerts } : {})
  }
  const json = {
    kind: 'station' as const,
    month,
    station: { id: station.id, name: station.name, district: station.district, timezone: station.timezone, capacity: station.capacity },
    summary,
    days,
    provenance: loaded.provenance
  }
  return json
}

/**
 * Stations whose monthly worker sets one query reads. node-influx gathers a query's whole answer
 * in one string, and V8 caps a string at 2^29 - 24 characters (~512 MB): past that it throws a
 * RangeError inside the HTTP response handler, which nothing can catch and which ends the
 * process. 20,000 stations' sets were 565 MB (bench/fleet-report-20k.ts): one query for all of
 * them took the API down. A busy station's set is ~100 KB, so 250 stations stay near 25 MB.
 */
export const WORKER_SETS_PER_QUERY = 250

/** Distinct workers across the stations: the union of their monthly sets (day sets where the month rollup was not used). */
export async function fleetDistinct (src: FigureSource, periods: readonly StationPeriod[], first: string, last: string, perQuery = WORKER_SETS_PER_QUERY): Promise<number> {
  const fromMonths = periods.filter((p) => p.days === null).map((p) => p.station.id)
  const union = new Set<string>()
  for (let i = 0; i < fromMonths.length; i += perQuery) {
    const ids = fromMonths.slice(i, i + perQuery)
    const months = await readMonths(src.query, { stations: ids, from: first, to: last }, { workers: true })
    for (const id of ids) for (const w of months.get(id)?.[0]?.workers ?? []) union.add(w)
  }
  for (const p of periods) {
    if (p.days === null) continue
    for (const w of (await loadWorkerSets(src, p.station.id, p.days, [{ from: first, to: last }])).union(first, last)) union.add(w)
  }
  return union.size
}

export async function fleetReport (src: FigureSource, stations: readonly StationInfo[], month: string, everyStation: boolean, alerts?: AlertMonthSummary) {
  const { first, last } = monthBounds(month)
  const { periods, provenance } = await loadFleet(src, stations, first, last, everyStation, { dwell: true })
  const rows = rank(periods.map((p) => ({
    ...stationSummary(p, first, last),
    medianDwellMinutes: dwellStats(addDwell(emptyDwell(), p.period.dwell), DEFAULT_DWELL_CAP_MIN, 10).medianMinutes
  })), 'visits').map(({ from: _f, to: _t, rank: place, ...r }) => ({ rank: place, ...r, busiestHour: r.busiestHour?.hour ?? null }))
  const districts = districtsOf(rows.map((r) => ({ ...r, from: first, to: last, busiestHour: null })))
  const summary = {
    stations: rows.length,
    visits: rows.reduce((n, r) => n + r.visits, 0),
    uniqueWorkers: await fleetDistinct(src, periods, first, last),
    denied: rows.reduce((n, r) => n + r.denied, 0),
    firstTimeVisitors: rows.some((r) => r.firstTimeVisitors === null) ? null : rows.reduce((n, r) => n + (r.firstTimeVisitors ?? 0), 0),
    counterEntries: rows.some((r) => r.counterEntries !== null) ? rows.reduce((n, r) => n + (r.counterEntries ?? 0), 0) : null,
    ...(alerts ? { alerts } : {})
  }
  const json = { kind: 'fleet' as const, month, summary, stations: rows, districts, provenance }
  return json
}
