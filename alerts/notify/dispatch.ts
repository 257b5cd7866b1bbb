import { createHash } from 'node:crypto'
import type { AlertStore } from '../../registry/alert-store.ts'
import type { Alert, Silence } from '../schemas.ts'
import { buildBody, type BodyItem } from './body.ts'
import type { ActiveWebhook, NotifyStore, QueuedTransition } from './notify-store.ts'

// Step 2 of the notifier: queued transitions become notifications. In order:
// 1. Flap control: a station's rule (and subject) that fired more than `flapMaxPerHour` times in
//    the last hour notifies once (flagged `flapping`), then only its newest transition is kept
//    (the others dropped as `flapping`) until it settles; then the newest is sent.
// 2. Silences hold a transition (it stays queued, marked `silenced`); once none covers it, what
//    is still relevant is sent: a fired or escalated alert that is still firing, an
//    acknowledgement or resolution of an alert whose firing was notified.
// 3. Grouping: transitions of the same district, rule, kind, severity and target wait
//    `groupWaitMs` after the first of them and go out as one notification per webhook.
// Each group's notifications and its queue decisions commit in one transaction, with the body
// and Idempotency-Key fixed there: the grouping never changes once written.

export const MAX_GROUP = 500

export type DispatchDeps = {
  alerts: AlertStore
  notify: NotifyStore
  transaction: <T>(fn: () => Promise<T>) => Promise<T>
  silencesAt: (at: string) => Promise<Silence[]>
  stationName: (id: string) => string | Promise<string>
  groupWaitMs: number
  flapMaxPerHour: number
  publicUrl: string | null
}

/** One transition: the contract's key. Several: a key derived from their sorted ids (stable across restarts). */
export function idempotencyKey (transitionIds: readonly number[]): string {
  if (transitionIds.length === 1) return `ws-alert-transition-${transitionIds[0]}`
  const ids = [...transitionIds].sort((a, b) => a - b)
  return `ws-alert-group-${ids[0]}-${createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 24)}`
}

export function webhookWants (w: ActiveWebhook, t: QueuedTransition): boolean {
  if (w.scope === 'district' && w.scopeId !== t.district) return false
  if (w.scope === 'station' && w.scopeId !== t.stationId) return false
  return t.kind === 'escalated' ? t.target !== null && w.targets.includes(t.target) : w.allAlerts
}

const covers = (s: Silence, t: QueuedTransition) =>
  ((s.scope === 'station' && s.scopeId === t.stationId) || (s.scope === 'district' && s.scopeId === t.district)) && (s.rule === null || s.rule === t.rule)

export function createDispatcher (deps: DispatchDeps) {
  const { notify } = deps

  /** Writes one group's notifications (one per interested webhook) and settles its queue rows. */
  function send (rows: QueuedTransition[], flapping: boolean, webhooks: ActiveWebhook[], now: string): Promise<number> {
    return deps.transaction(async () => {
      const alerts = new Map<number, Alert | null>()
      for (const t of rows) if (!alerts.has(t.alertId)) alerts.set(t.alertId, await deps.alerts.get(t.alertId))
      const names = new Map<string, string>()
      for (const t of rows) if (!names.has(t.stationId)) names.set(t.stationId, await deps.stationName(t.stationId))
      const items = new Map<number, BodyItem>(rows.map((t) => [t.id, { transition: t, alert: alerts.get(t.alertId)!, stationName: names.get(t.stationId)! }]))
      let written = 0
      for (const w of webhooks) {
        const mine = rows.filter((t) => webhookWants(w, t))
        for (let i = 0; i < mine.length; i += MAX_GROUP) {
          const chunk = mine.slice(i, i + MAX_GROUP)
          const ids = chunk.map((t) => t.id)
          const key = idempotencyKey(ids)
          const body = buildBody(chunk.map((t) => items.get(t.id)!), { publicUrl: deps.publicUrl, flapping, key })
          await notify.addNotification({ webhookId: w.id, key, transitionIds: ids, kind: chunk[0]!.kind, district: chunk[0]!.district, body, at: now })
          written++
        }
      }
      for (const t of rows) await notify.decide(t.id, 'dispatched', written === 0 ? 'no_webhook' : null, flapping, now)
      return written
    })
  }

  /** A fired or escalated transition held by a silence: still worth sending when the alert is still open and firing. */
  async function stillFiring (t: QueuedTransition): Promise<boolean> {
    const state = (await deps.alerts.get(t.alertId))?.state
    return state === 'firing' || (t.kind === 'fired' && state === 'acknowledged')
  }

  return {
    /** One pass over the queue at `nowMs`; how many notifications were written. */
    async run (nowMs: number): Promise<number> {
      const now = new Date(nowMs).toISOString()
      const hourAgo = new Date(nowMs - 3_600_000).toISOString()
      const queued = await notify.queued()
      if (queued.length === 0) return 0
      const webhooks = await notify.webhooks.active()
      const silences = await deps.silencesAt(now)
      let written = 0

      // 1. Flap control, per station + rule + subject.
      const byFlap = new Map<string, QueuedTransition[]>()
      for (const t of queued) {
        let l = byFlap.get(t.flapKey)
        if (l === undefined) byFlap.set(t.flapKey, l = [])
        l.push(t)
      }
      const candidates: QueuedTransition[] = []
      const settled = new Set<number>() // a flap notice or the newest state after flapping: sent whatever came before
      const flapNotices: QueuedTransition[] = []
      for (const [key, list] of byFlap) {
        const newest = list[list.length - 1]!
        const flapping = await notify.firesSince(key, hourAgo) > deps.flapMaxPerHour
        const settling = !flapping && list.some((t) => t.heldBy === 'flapping')
        if (!flapping && !settling) { candidates.push(...list); continue }
        for (const t of list.slice(0, -1)) await notify.decide(t.id, 'dropped', flapping ? 'flapping' : 'superseded', false, now)
        if (settling) { candidates.push(newest); settled.add(newest.id) }
        else if (!await notify.flapNoticeSince(key, hourAgo)) { flapNotices.push(newest); settled.add(newest.id) }
        else await notify.hold(newest.id, 'flapping')
      }

      // 2. Silences, and acknowledgements and resolutions of alerts whose firing was never
      // notified (held by a silence, then over): receivers never heard of those alerts.
      const release = async (t: QueuedTransition): Promise<boolean> => {
        if (silences.some((s) => covers(s, t))) {
          if (t.heldBy !== 'silenced') await notify.hold(t.id, 'silenced')
          return false
        }
        if ((t.kind === 'fired' || t.kind === 'escalated') && t.heldBy === 'silenced' && !await stillFiring(t)) {
          await notify.decide(t.id, 'dropped', 'over_while_silenced', false, now)
          return false
        }
        if ((t.kind === 'acknowledged' || t.kind === 'resolved') && !settled.has(t.id)) {
          const fired = await notify.firedState(t.alertId)
          if (fired === 'queued') return false // waits for its fired to be decided first
          if (fired === 'dropped') {
            await notify.decide(t.id, 'dropped', 'fired_not_notified', false, now)
            return false
          }
        }
        return true
      }
      for (const t of flapNotices) if (await release(t)) written += await send([t], true, webhooks, now)

      // 3. Groups whose wait is over.
      const groups = new Map<string, QueuedTransition[]>()
      for (const t of candidates.sort((a, b) => a.id - b.id)) {
        if (!await release(t)) continue
        let g = groups.get(t.groupKey)
        if (g === undefined) groups.set(t.groupKey, g = [])
        g.push(t)
      }
      for (const g of groups.values()) {
        const first = Math.min(...g.map((t) => Date.parse(t.at)))
        if (first + deps.groupWaitMs <= nowMs) written += await send(g, false, webhooks, now)
      }
      return written
    }
  }
}
