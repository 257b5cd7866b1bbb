import type { Verdict } from '../lifecycle.ts'
import type { Rule, RuleSettings } from '../schemas.ts'
import type { StationState } from '../station-state.ts'

/** What a rule family gets at each tick for one station. */
export type RuleContext = {
  now: number
  settings: (rule: Rule) => RuleSettings
  /** The verdict for one alert key; `summary` is only called when an alert opens or fires. */
  emit: (rule: Rule, subject: string, verdict: Verdict, value: number | null, threshold: number | null, summary: () => string) => void
  /**
   * A time (ms) at which a verdict given now may change with no new event (a reading going
   * stale, a threshold of seconds passing). The station is evaluated again at the first tick at
   * or after the earliest such time; saying it too early only costs an evaluation, too late
   * would delay an alert, so a rule rounds down.
   */
  due: (at: number) => void
}

export type RuleFamily = (s: StationState, ctx: RuleContext) => void

// Readings older than this say nothing about now (sensors report every minute, counters at
// least every 5): the verdict is "unknown" and no alert opens, fires or resolves on them. A
// stream that stopped is the data_gap rule's business.
export const STALE_MS = 15 * 60_000

export const fresh = (at: number, now: number): boolean => at !== 0 && now - at <= STALE_MS

/** When a reading taken at `at` stops being fresh (a little early: see `due`). */
export const staleAt = (at: number): number => at + STALE_MS
