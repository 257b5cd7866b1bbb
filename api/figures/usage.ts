// Visit figures per day, ISO week or calendar month: granted entries, distinct workers, refused
// attempts, people-counter entries against door entries, first-time visitors.
import { addDays } from '../../platform/local-day.ts'
import type { DayRow } from '../../rollups/compute-days.ts'
import { isoWeekday, monthBounds, monthOf } from '../../rollups/day-bounds.ts'
import type { WorkerSets } from './distinct-workers.ts'
import { periodOf, type PeriodRow } from '../../rollups/period.ts'

export type Granularity = 'day' | 'week' | 'month'
export type Period = { from: string, to: string }

/** Periods covering from..to; the first and last week or month are cut at the range. */
export function periodsOf (from: string, to: string, granularity: Granularity): Period[] {
  const out: Period[] = []
  for (let start = from; start <= to;) {
    let end = start
    if (granularity === 'week') end = addDays(start, 6 - isoWeekday(start))
    else if (granularity === 'month') end = monthBounds(monthOf(start)).last
    if (end > to) end = to
    out.push({ from: start, to: end })
    start = addDays(end, 1)
  }
  return out
}

export type UsageFigures = {
  from: string
  to: string
  visits: number
  uniqueWorkers: number
  denied: number
  /** Entries the people counter reported (occupancy `entered`); null when it reported none. */
  counterEntries: number | null
  /** counterEntries − visits: people who came in without a granted door entry (tailgating, unregistered). */
  counterMinusDoor: number | null
  /** Workers never seen before at any station; null when the first-seen index is not available. */
  firstTimeVisitors: number | null
  /** Granted entries outside the station's opening hours. */
  entriesOutsideOpeningHours: number
}

/** Visit figures of a period from its summed days; uniqueWorkers comes from the caller. */
export function usageOfPeriod (period: PeriodRow, p: Period, uniqueWorkers: number): UsageFigures {
  const visits = period.agg.entries
  const counterEntries = period.agg.counterMsgs > 0 ? period.agg.counterEntered : null
  return {
    from: p.from,
    to: p.to,
    visits,
    uniqueWorkers,
    denied: period.agg.denied,
    counterEntries,
    counterMinusDoor: counterEntries === null ? null : counterEntries - visits,
    firstTimeVisitors: period.firstTime,
    entriesOutsideOpeningHours: visits - period.open.entries
  }
}

export function usageOf (days: readonly DayRow[], p: Period, sets: WorkerSets | null): UsageFigures {
  const inside = days.filter((d) => d.date >= p.from && d.date <= p.to)
  const uniqueWorkers = inside.length === 1 ? inside[0]!.uniqueWorkers : inside.length === 0 ? 0 : sets ? sets.count(p.from, p.to) : 0
  return usageOfPeriod(periodOf(inside), p, uniqueWorkers)
}
