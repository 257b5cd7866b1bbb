import type { AlertState, RuleSettings } from './schemas.ts'

// The generic lifecycle every rule shares. A rule only says, at each tick, where its
// condition stands (a Verdict); pending periods, hysteresis, hold-offs and escalation are
// decided here, the same way for all rules, from times kept in the registry (so a restart
// continues them).

/** 0: unknown (no recent data: decide nothing), 1: clear condition holds, 2: between the two thresholds, 3: fire condition holds. */
export type Verdict = 0 | 1 | 2 | 3
export const UNKNOWN: Verdict = 0
export const CLEAR: Verdict = 1
export const BETWEEN: Verdict = 2
export const FIRE: Verdict = 3

/** An alert as the evaluator tracks it (a copy of its registry row's timing fields). */
export type Tracked = {
  id: number
  state: AlertState
  pendingSince: number
  firedAt: number
  clearingSince: number // 0: not clearing
  escalationLevel: number
}

export type Step =
  | { op: 'open' } // no alert yet: open a pending one
  | { op: 'fire' }
  | { op: 'cancel' }
  | { op: 'clearing', since: number } // start (since > 0) or stop (0) the hold-off
  | { op: 'resolve' }
  | { op: 'escalate', level: number, target: string }
  | null

const OPEN: Step = { op: 'open' }
const FIRE_STEP: Step = { op: 'fire' }
const CANCEL: Step = { op: 'cancel' }
const RESOLVE: Step = { op: 'resolve' }
const STOP_CLEARING: Step = { op: 'clearing', since: 0 }

/**
 * The next step for one alert key at `now`. One step per tick is enough (the tick is a
 * second); `open` is followed by `fire` in the same tick when there is no pending period.
 */
export function nextStep (t: Tracked | undefined, v: Verdict, s: RuleSettings, now: number): Step {
  if (t === undefined) return v === FIRE && s.enabled ? OPEN : null
  if (!s.enabled) return t.state === 'pending' ? CANCEL : (t.state === 'resolved' ? null : RESOLVE)
  switch (t.state) {
    case 'pending':
      // The condition must hold without a break for the whole pending period: one sample over
      // the threshold does not fire, and neither does a value going up and down across it.
      if (v === FIRE) return now - t.pendingSince >= s.pendingS * 1000 ? FIRE_STEP : null
      return v === UNKNOWN ? null : CANCEL
    case 'firing':
    case 'acknowledged': {
      // Hysteresis: only the clear threshold starts the hold-off, and only a hold-off passed
      // without the condition coming back resolves.
      if (v === CLEAR) {
        if (t.clearingSince === 0) return { op: 'clearing', since: now }
        if (now - t.clearingSince >= s.holdOffS * 1000) return RESOLVE
      } else if (v !== UNKNOWN && t.clearingSince !== 0) {
        return STOP_CLEARING
      }
      if (t.state === 'firing') {
        const step = s.escalation[t.escalationLevel]
        if (step !== undefined && now - t.firedAt >= step.afterS * 1000) return { op: 'escalate', level: t.escalationLevel + 1, target: step.target }
      }
      return null
    }
    case 'resolved':
      return null
  }
}
