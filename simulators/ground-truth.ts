import type { DayPlan } from './day-model.ts'
import { localDay } from './local-time.ts'

// What the API should report for a simulated local day, computed from the plan rather than
// from the messages, so an end-to-end test compares two independent paths.

export type DailyFigures = {
  date: string
  /** Granted 'in' door events. */
  visits: number
  /** Distinct workers with at least one granted visit. */
  uniqueWorkers: number
  /** Denied door attempts. */
  denied: number
  /** Granted entries per local wall-clock hour 0..23 (the repeated hour of a fall-back day is merged; the skipped hour of a spring-forward day stays 0). */
  visitsByHour: number[]
  /** Highest number of people inside at once. */
  peakOccupancy: number
}

export function expectedDailyFigures (plan: DayPlan): DailyFigures {
  const day = localDay(plan.date, plan.timeZone)
  const visitsByHour = new Array<number>(24).fill(0)
  for (const v of plan.visits) {
    const hour = Math.floor(day.minuteOfDay(v.enterMs) / 60)
    visitsByHour[hour] = (visitsByHour[hour] ?? 0) + 1
  }
  // Sweep entries and exits; an exit at the same instant as an entry frees the place first.
  const edges = plan.visits.flatMap((v) => [[v.enterMs, 1], [v.exitMs, -1]] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let inside = 0
  let peakOccupancy = 0
  for (const [, delta] of edges) {
    inside += delta
    peakOccupancy = Math.max(peakOccupancy, inside)
  }
  return {
    date: plan.date,
    visits: plan.visits.length,
    uniqueWorkers: new Set(plan.visits.map((v) => v.worker)).size,
    denied: plan.denied.length,
    visitsByHour,
    peakOccupancy
  }
}
