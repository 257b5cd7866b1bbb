// The figures of a run of days summed into one record: what the monthly rollup stores and
// what fleet figures are computed from. Everything in it adds up exactly across days, except
// uniqueWorkers, which is the size of the union of the days' worker sets.
import { addAgg, emptyAgg, type Agg } from './aggregate.ts'
import type { DayRow, Dwell } from './compute-days.ts'
import { addDwell } from './dwell.ts'
import { implausibleStreams } from './plausibility.ts'

export type PeriodRow = {
  /** Day rollups summed in (a month rollup with fewer days than the month is incomplete). */
  days: number
  firstTime: number | null
  byHour: number[]
  /** null when a day was read without its dwell histogram. */
  dwell: Dwell | null
  agg: Agg
  open: Agg
  /** Σ capacity × time with a known count (ms), whole day and opening hours: utilisation's denominator. */
  capacityMsAll: number
  capacityMsOpen: number
  /** Days that are not complete (see completeness), over opening hours and over the whole day. */
  incompleteOpen: number
  incompleteAll: number
  uniqueWorkers: number
  /** Sorted pseudonyms; null when not loaded. */
  workers: string[] | null
}

export const COMPLETE_ENV_SHARE = 0.95

/** The completeness rule of one day's aggregate (documented in api/figures/figures.ts). */
export function dayComplete (a: Agg): boolean {
  if (a.minutes === 0) return true
  return a.envMinutes / a.minutes >= COMPLETE_ENV_SHARE && a.occGaps === 0 && a.doorSilentHours === 0 && implausibleStreams(a).length === 0
}

export function emptyPeriod (): PeriodRow {
  return {
    days: 0, firstTime: 0, byHour: new Array<number>(24).fill(0), dwell: { hist: new Map(), open: 0, anon: 0 },
    agg: emptyAgg(), open: emptyAgg(), capacityMsAll: 0, capacityMsOpen: 0, incompleteOpen: 0, incompleteAll: 0, uniqueWorkers: 0, workers: null
  }
}

/** Sums days into a period; uniqueWorkers and workers are the caller's (a union). */
export function periodOf (days: readonly DayRow[]): PeriodRow {
  const p = emptyPeriod()
  for (const d of days) {
    p.days++
    p.firstTime = p.firstTime === null || d.firstTime === null ? null : p.firstTime + d.firstTime
    d.byHour.forEach((n, h) => { p.byHour[h] = (p.byHour[h] ?? 0) + n })
    p.dwell = p.dwell && d.dwell ? addDwell(p.dwell, d.dwell) : null
    addAgg(p.agg, d.agg)
    addAgg(p.open, d.open)
    p.capacityMsAll += d.capacity * d.agg.occKnownMs
    p.capacityMsOpen += d.capacity * d.open.occKnownMs
    if (!dayComplete(d.open)) p.incompleteOpen++
    if (!dayComplete(d.agg)) p.incompleteAll++
  }
  return p
}
