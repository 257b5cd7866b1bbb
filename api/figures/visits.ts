// The /stations/:id/visits answer (its shape predates the figure endpoints) from the same
// engine: rollups first, raw events for days without one.
import { loadStationDays, type FigureSource, type StationFacts } from './day-source.ts'
import { loadWorkerSets } from './distinct-workers.ts'

export type DayFigures = { date: string, visits: number, uniqueWorkers: number, denied: number }
export type VisitsFigures = { days: DayFigures[], totals: { visits: number, uniqueWorkers: number, denied: number } }

export async function visitsFromFigures (src: FigureSource, station: StationFacts, from: string, to: string): Promise<VisitsFigures> {
  const loaded = await loadStationDays(src, station, from, to, { streams: ['door'] })
  const sets = await loadWorkerSets(src, station.id, loaded.days, [{ from, to }])
  const days = loaded.days.map((d) => ({ date: d.date, visits: d.agg.entries, uniqueWorkers: d.uniqueWorkers, denied: d.agg.denied }))
  return {
    days,
    totals: {
      visits: days.reduce((s, d) => s + d.visits, 0),
      uniqueWorkers: loaded.days.length === 1 ? loaded.days[0]!.uniqueWorkers : sets.count(from, to),
      denied: days.reduce((s, d) => s + d.denied, 0)
    }
  }
}
