import type { AlertStore } from '../../registry/alert-store.ts'
import type { AlertTransition } from '../schemas.ts'
import type { NotifyStore } from './notify-store.ts'

// Step 1 of the notifier: alert_transitions (the evaluator's outbox, docs/alerts.md) after the
// durable cursor are copied into notify_queue, and the cursor moves, in one transaction. A
// crash before the commit re-reads the same transitions; after it, they are in the queue.
// `ON CONFLICT DO NOTHING` on the transition id makes a replay harmless either way.

export const CURSOR_NAME = 'webhooks'
const BATCH = 500

/**
 * Transitions that may be grouped share a district, rule, kind, severity and escalation
 * target; an acknowledgement is an operator's act about one alert and is never grouped.
 */
export function groupKeyOf (t: AlertTransition): string {
  if (t.kind === 'acknowledged') return `t:${t.id}`
  return JSON.stringify([t.district, t.rule, t.kind, t.severity, t.target ?? ''])
}

/** Flap control counts fires of the same station, rule and subject, whichever alert row they belong to. */
export const flapKeyOf = (t: AlertTransition): string => JSON.stringify([t.stationId, t.rule, t.subject])

export function createOutboxReader (deps: { alerts: AlertStore, notify: NotifyStore, transaction: <T>(fn: () => Promise<T>) => Promise<T> }) {
  return {
    /** Moves every committed transition after the cursor into the queue; how many were queued. */
    async pull (): Promise<number> {
      let queued = 0
      for (;;) {
        const r = await deps.transaction(async () => {
          const batch = await deps.alerts.transitionsAfter(await deps.notify.cursor(CURSOR_NAME), BATCH)
          let q = 0
          for (const t of batch) {
            if (!t.notify) continue
            await deps.notify.enqueue(t, groupKeyOf(t), flapKeyOf(t))
            q++
          }
          if (batch.length > 0) await deps.notify.setCursor(CURSOR_NAME, batch[batch.length - 1]!.id)
          return { queued: q, more: batch.length === BATCH }
        })
        queued += r.queued
        if (!r.more) return queued
      }
    }
  }
}
