import type { DatabaseSync, SQLInputValue } from 'node:sqlite'
import type { AlertTransition } from '../schemas.ts'
import { toTransition } from '../../registry/alert-store.ts'
import type { NewWebhook, Notification, NotificationQuery, NotificationState, Webhook, WebhookPatch, WebhookScope } from './schemas.ts'

// The notifier's tables (migration 9): webhooks, its cursor over alert_transitions, the queue
// where notifiable transitions wait (group wait, silence, flapping) and the notifications.
// A notification row holds the exact body and Idempotency-Key it is sent with, written before
// the first attempt: a restart resends the same bytes under the same key.

type WebhookRow = {
  id: number, name: string, url: string, scope: string, scope_id: string, all_alerts: number, targets: string, secret: string,
  enabled: number, created_at: string, updated_at: string | null, rotated_at: string | null, deleted_at: string | null
}
type NotificationRow = {
  id: number, webhook_id: number, idempotency_key: string, transition_ids: string, kind: string, district: string, body: string,
  state: string, attempts: number, created_at: string, next_attempt_at: string, last_attempt_at: string | null, last_status: number | null,
  last_error: string | null, sent_at: string | null, given_up_at: string | null
}

export type QueuedTransition = AlertTransition & { groupKey: string, flapKey: string, heldBy: string | null }
export type ActiveWebhook = Webhook & { secret: string }
export type PendingNotification = Notification & { body: string }

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id, name: r.name, url: r.url, scope: r.scope as WebhookScope, scopeId: r.scope_id, allAlerts: r.all_alerts === 1,
  targets: JSON.parse(r.targets) as string[], enabled: r.enabled === 1, createdAt: r.created_at, updatedAt: r.updated_at,
  rotatedAt: r.rotated_at, deletedAt: r.deleted_at
})

const toNotification = (r: NotificationRow): Notification => ({
  id: r.id, webhookId: r.webhook_id, idempotencyKey: r.idempotency_key, transitionIds: JSON.parse(r.transition_ids) as number[],
  kind: r.kind, district: r.district, state: r.state as NotificationState, attempts: r.attempts, createdAt: r.created_at,
  nextAttemptAt: r.state === 'pending' ? r.next_attempt_at : null, lastAttemptAt: r.last_attempt_at, lastStatus: r.last_status,
  lastError: r.last_error, sentAt: r.sent_at, givenUpAt: r.given_up_at
})

export function createNotifyStore (db: DatabaseSync) {
  const webhookById = db.prepare('SELECT * FROM webhooks WHERE id = ?')
  const webhooks = db.prepare('SELECT * FROM webhooks WHERE deleted_at IS NULL ORDER BY id')
  const insertWebhook = db.prepare(`INSERT INTO webhooks (name, url, scope, scope_id, all_alerts, targets, secret, enabled, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
  const cursorOf = db.prepare('SELECT last_id FROM notifier_cursor WHERE name = ?')
  const setCursor = db.prepare('INSERT INTO notifier_cursor (name, last_id) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id')
  const enqueue = db.prepare(`INSERT INTO notify_queue (transition_id, alert_id, kind, group_key, flap_key, at, state) VALUES (?, ?, ?, ?, ?, ?, 'queued')
    ON CONFLICT DO NOTHING`)
  const queued = db.prepare(`SELECT t.*, q.group_key, q.flap_key, q.reason AS held_by FROM notify_queue q JOIN alert_transitions t ON t.id = q.transition_id
    WHERE q.state = 'queued' ORDER BY q.transition_id LIMIT ?`)
  const decide = db.prepare('UPDATE notify_queue SET state = ?, reason = ?, flapping = ?, decided_at = ? WHERE transition_id = ? AND state = \'queued\'')
  const hold = db.prepare('UPDATE notify_queue SET reason = ? WHERE transition_id = ? AND state = \'queued\'')
  const firesSince = db.prepare(`SELECT count(*) AS n FROM notify_queue WHERE flap_key = ? AND kind = 'fired' AND at > ?`)
  const flapNoticeSince = db.prepare(`SELECT count(*) AS n FROM notify_queue WHERE flap_key = ? AND flapping = 1 AND state = 'dispatched' AND at > ?`)
  const firedOf = db.prepare(`SELECT state FROM notify_queue WHERE alert_id = ? AND kind = 'fired' ORDER BY transition_id DESC LIMIT 1`)
  const insertNotification = db.prepare(`INSERT INTO notifications (webhook_id, idempotency_key, transition_ids, kind, district, body, state, created_at, next_attempt_at)
    VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`)
  const due = db.prepare(`SELECT * FROM notifications WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`)
  const notificationById = db.prepare('SELECT * FROM notifications WHERE id = ?')
  const markSent = db.prepare(`UPDATE notifications SET state = 'sent', attempts = attempts + 1, last_attempt_at = ?, last_status = ?, last_error = NULL, sent_at = ?
    WHERE id = ? AND state = 'pending'`)
  const markRetry = db.prepare(`UPDATE notifications SET attempts = attempts + 1, last_attempt_at = ?, last_status = ?, last_error = ?, next_attempt_at = ?
    WHERE id = ? AND state = 'pending'`)
  const markGivenUp = db.prepare(`UPDATE notifications SET state = 'given_up', attempts = attempts + ?, last_attempt_at = coalesce(?, last_attempt_at),
    last_status = coalesce(?, last_status), last_error = ?, given_up_at = ? WHERE id = ? AND state = 'pending'`)
  const stateCounts = db.prepare('SELECT state, count(*) AS n FROM notifications GROUP BY state')

  return {
    webhooks: {
      list: (): Webhook[] => (webhooks.all() as WebhookRow[]).map(toWebhook),
      /** Enabled webhooks with their signing secrets, for the notifier. */
      active: (): ActiveWebhook[] => (webhooks.all() as WebhookRow[]).filter((r) => r.enabled === 1).map((r) => ({ ...toWebhook(r), secret: r.secret })),
      get (id: number): Webhook | null { const r = webhookById.get(id) as WebhookRow | undefined; return r && r.deleted_at === null ? toWebhook(r) : null },
      secretOf (id: number): string | null { const r = webhookById.get(id) as WebhookRow | undefined; return r && r.deleted_at === null ? r.secret : null },
      add (w: NewWebhook, secret: string, at: string): Webhook {
        const r = insertWebhook.get(w.name, w.url, w.scope, w.scopeId, w.allAlerts ? 1 : 0, JSON.stringify(w.targets), secret, w.enabled ? 1 : 0, at) as { id: number }
        return this.get(r.id)!
      },
      update (id: number, p: WebhookPatch, at: string): Webhook | null {
        const sets: string[] = []
        const args: SQLInputValue[] = []
        const col = (c: string, v: SQLInputValue) => { sets.push(`${c} = ?`); args.push(v) }
        if (p.name !== undefined) col('name', p.name)
        if (p.url !== undefined) col('url', p.url)
        if (p.scope !== undefined) col('scope', p.scope)
        if (p.scopeId !== undefined) col('scope_id', p.scopeId)
        if (p.allAlerts !== undefined) col('all_alerts', p.allAlerts ? 1 : 0)
        if (p.targets !== undefined) col('targets', JSON.stringify(p.targets))
        if (p.enabled !== undefined) col('enabled', p.enabled ? 1 : 0)
        col('updated_at', at)
        const changed = db.prepare(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = ? AND deleted_at IS NULL`).run(...args, id).changes
        return changed === 1 ? this.get(id) : null
      },
      rotate (id: number, secret: string, at: string): Webhook | null {
        const changed = db.prepare('UPDATE webhooks SET secret = ?, rotated_at = ? WHERE id = ? AND deleted_at IS NULL').run(secret, at, id).changes
        return changed === 1 ? this.get(id) : null
      },
      /** Soft delete: its notifications keep pointing at it; pending ones are given up when due. */
      remove (id: number, at: string): boolean {
        return db.prepare('UPDATE webhooks SET deleted_at = ?, enabled = 0 WHERE id = ? AND deleted_at IS NULL').run(at, id).changes === 1
      }
    },

    cursor: (name: string): number => (cursorOf.get(name) as { last_id: number } | undefined)?.last_id ?? 0,
    setCursor: (name: string, lastId: number): void => { setCursor.run(name, lastId) },
    enqueue (t: AlertTransition, groupKey: string, flapKey: string): void {
      enqueue.run(t.id, t.alertId, t.kind, groupKey, flapKey, t.at)
    },
    queued: (limit = 5000): QueuedTransition[] => (queued.all(limit) as Array<Parameters<typeof toTransition>[0] & { group_key: string, flap_key: string, held_by: string | null }>)
      .map((r) => ({ ...toTransition(r), groupKey: r.group_key, flapKey: r.flap_key, heldBy: r.held_by })),
    /** A queued transition leaves the queue: dispatched (notifications written) or dropped with a reason. */
    decide (transitionId: number, state: 'dispatched' | 'dropped', reason: string | null, flapping: boolean, at: string): void {
      decide.run(state, reason, flapping ? 1 : 0, at, transitionId)
    },
    /** Still queued, with why (e.g. `silenced`), so a later decision knows it was held. */
    hold: (transitionId: number, reason: string): void => { hold.run(reason, transitionId) },
    firesSince: (flapKey: string, since: string): number => (firesSince.get(flapKey, since) as { n: number }).n,
    flapNoticeSince: (flapKey: string, since: string): boolean => (flapNoticeSince.get(flapKey, since) as { n: number }).n > 0,
    /** What became of the alert's `fired` transition: queued, dispatched, dropped, or null (none queued). */
    firedState: (alertId: number): 'queued' | 'dispatched' | 'dropped' | null =>
      (firedOf.get(alertId) as { state: 'queued' | 'dispatched' | 'dropped' } | undefined)?.state ?? null,

    addNotification (n: { webhookId: number, key: string, transitionIds: number[], kind: string, district: string, body: string, at: string }): void {
      insertNotification.run(n.webhookId, n.key, JSON.stringify(n.transitionIds), n.kind, n.district, n.body, n.at, n.at)
    },
    due: (now: string, limit: number): PendingNotification[] =>
      (due.all(now, limit) as NotificationRow[]).map((r) => ({ ...toNotification(r), body: r.body })),
    notification (id: number): (Notification & { body: unknown }) | null {
      const r = notificationById.get(id) as NotificationRow | undefined
      return r ? { ...toNotification(r), body: JSON.parse(r.body) as unknown } : null
    },
    sent: (id: number, at: string, status: number): void => { markSent.run(at, status, at, id) },
    retry: (id: number, at: string, status: number | null, error: string, next: string): void => { markRetry.run(at, status, error, next, id) },
    /** `attempted`: this give-up follows an attempt (counted), or happens without one (webhook deleted). */
    giveUp: (id: number, at: string, status: number | null, error: string, attempted: boolean): void => {
      markGivenUp.run(attempted ? 1 : 0, attempted ? at : null, status, error, at, id)
    },
    listNotifications (q: NotificationQuery): Notification[] {
      const where: string[] = []
      const args: SQLInputValue[] = []
      if (q.state !== undefined) { where.push('state = ?'); args.push(q.state) }
      if (q.webhook !== undefined) { where.push('webhook_id = ?'); args.push(q.webhook) }
      if (q.before !== undefined) { where.push('id < ?'); args.push(q.before) }
      const sql = `SELECT * FROM notifications${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
      return (db.prepare(sql).all(...args, q.limit) as NotificationRow[]).map(toNotification)
    },
    counts (): Record<NotificationState, number> {
      const out: Record<NotificationState, number> = { pending: 0, sent: 0, given_up: 0 }
      for (const r of stateCounts.all() as Array<{ state: NotificationState, n: number }>) out[r.state] = r.n
      return out
    }
  }
}

export type NotifyStore = ReturnType<typeof createNotifyStore>
