import type { SqlDb, SqlValue } from '../../registry/db/sql-db.ts'
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

type QueuedRow = Parameters<typeof toTransition>[0] & { group_key: string, flap_key: string, held_by: string | null }

export function createNotifyStore (db: SqlDb) {
  const webhookById = (id: number) => db.get<WebhookRow>('SELECT * FROM webhooks WHERE id = ?', [id])
  const liveWebhooks = () => db.all<WebhookRow>('SELECT * FROM webhooks WHERE deleted_at IS NULL ORDER BY id')
  const getWebhook = async (id: number): Promise<Webhook | null> => { const r = await webhookById(id); return r && r.deleted_at === null ? toWebhook(r) : null }

  return {
    webhooks: {
      list: async (): Promise<Webhook[]> => (await liveWebhooks()).map(toWebhook),
      /** Enabled webhooks with their signing secrets, for the notifier. */
      active: async (): Promise<ActiveWebhook[]> => (await liveWebhooks()).filter((r) => r.enabled === 1).map((r) => ({ ...toWebhook(r), secret: r.secret })),
      get: getWebhook,
      async secretOf (id: number): Promise<string | null> { const r = await webhookById(id); return r && r.deleted_at === null ? r.secret : null },
      async add (w: NewWebhook, secret: string, at: string): Promise<Webhook> {
        const r = await db.get<WebhookRow>(`INSERT INTO webhooks (name, url, scope, scope_id, all_alerts, targets, secret, enabled, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`, [w.name, w.url, w.scope, w.scopeId, w.allAlerts ? 1 : 0, JSON.stringify(w.targets), secret, w.enabled ? 1 : 0, at])
        return toWebhook(r!)
      },
      async update (id: number, p: WebhookPatch, at: string): Promise<Webhook | null> {
        const sets: string[] = []
        const args: SqlValue[] = []
        const col = (c: string, v: SqlValue) => { sets.push(`${c} = ?`); args.push(v) }
        if (p.name !== undefined) col('name', p.name)
        if (p.url !== undefined) col('url', p.url)
        if (p.scope !== undefined) col('scope', p.scope)
        if (p.scopeId !== undefined) col('scope_id', p.scopeId)
        if (p.allAlerts !== undefined) col('all_alerts', p.allAlerts ? 1 : 0)
        if (p.targets !== undefined) col('targets', JSON.stringify(p.targets))
        if (p.enabled !== undefined) col('enabled', p.enabled ? 1 : 0)
        col('updated_at', at)
        const r = await db.get<WebhookRow>(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = ? AND deleted_at IS NULL RETURNING *`, [...args, id])
        return r ? toWebhook(r) : null
      },
      async rotate (id: number, secret: string, at: string): Promise<Webhook | null> {
        const r = await db.get<WebhookRow>('UPDATE webhooks SET secret = ?, rotated_at = ? WHERE id = ? AND deleted_at IS NULL RETURNING *', [secret, at, id])
        return r ? toWebhook(r) : null
      },
      /** Soft delete: its notifications keep pointing at it; pending ones are given up when due. */
      remove: async (id: number, at: string): Promise<boolean> =>
        (await db.run('UPDATE webhooks SET deleted_at = ?, enabled = 0 WHERE id = ? AND deleted_at IS NULL', [at, id])).changes === 1
    },

    cursor: async (name: string): Promise<number> => (await db.get<{ last_id: number }>('SELECT last_id FROM notifier_cursor WHERE name = ?', [name]))?.last_id ?? 0,
    setCursor: async (name: string, lastId: number): Promise<void> => {
      await db.run('INSERT INTO notifier_cursor (name, last_id) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id', [name, lastId])
    },
    async enqueue (t: AlertTransition, groupKey: string, flapKey: string): Promise<void> {
      await db.run(`INSERT INTO notify_queue (transition_id, alert_id, kind, group_key, flap_key, at, state) VALUES (?, ?, ?, ?, ?, ?, 'queued')
        ON CONFLICT DO NOTHING`, [t.id, t.alertId, t.kind, groupKey, flapKey, t.at])
    },
    queued: async (limit = 5000): Promise<QueuedTransition[]> =>
      (await db.all<QueuedRow>(`SELECT t.*, q.group_key, q.flap_key, q.reason AS held_by FROM notify_queue q JOIN alert_transitions t ON t.id = q.transition_id
        WHERE q.state = 'queued' ORDER BY q.transition_id LIMIT ?`, [limit]))
        .map((r) => ({ ...toTransition(r), groupKey: r.group_key, flapKey: r.flap_key, heldBy: r.held_by })),
    /** A queued transition leaves the queue: dispatched (notifications written) or dropped with a reason. */
    async decide (transitionId: number, state: 'dispatched' | 'dropped', reason: string | null, flapping: boolean, at: string): Promise<void> {
      await db.run('UPDATE notify_queue SET state = ?, reason = ?, flapping = ?, decided_at = ? WHERE transition_id = ? AND state = \'queued\'',
        [state, reason, flapping ? 1 : 0, at, transitionId])
    },
    /** Still queued, with why (e.g. `silenced`), so a later decision knows it was held. */
    hold: async (transitionId: number, reason: string): Promise<void> => {
      await db.run('UPDATE notify_queue SET reason = ? WHERE transition_id = ? AND state = \'queued\'', [reason, transitionId])
    },
    firesSince: async (flapKey: string, since: string): Promise<number> =>
      (await db.get<{ n: number }>(`SELECT count(*) AS n FROM notify_queue WHERE flap_key = ? AND kind = 'fired' AND at > ?`, [flapKey, since]))!.n,
    flapNoticeSince: async (flapKey: string, since: string): Promise<boolean> =>
      (await db.get<{ n: number }>(`SELECT count(*) AS n FROM notify_queue WHERE flap_key = ? AND flapping = 1 AND state = 'dispatched' AND at > ?`, [flapKey, since]))!.n > 0,
    /** What became of the alert's `fired` transition: queued, dispatched, dropped, or null (none queued). */
    firedState: async (alertId: number): Promise<'queued' | 'dispatched' | 'dropped' | null> =>
      (await db.get<{ state: 'queued' | 'dispatched' | 'dropped' }>(`SELECT state FROM notify_queue WHERE alert_id = ? AND kind = 'fired' ORDER BY transition_id DESC LIMIT 1`, [alertId]))?.state ?? null,

    async addNotification (n: { webhookId: number, key: string, transitionIds: number[], kind: string, district: string, body: string, at: string }): Promise<void> {
      await db.run(`INSERT INTO notifications (webhook_id, idempotency_key, transition_ids, kind, district, body, state, created_at, next_attempt_at)
        VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`,
      [n.webhookId, n.key, JSON.stringify(n.transitionIds), n.kind, n.district, n.body, n.at, n.at])
    },
    due: async (now: string, limit: number): Promise<PendingNotification[]> =>
      (await db.all<NotificationRow>(`SELECT * FROM notifications WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, [now, limit]))
        .map((r) => ({ ...toNotification(r), body: r.body })),
    async notification (id: number): Promise<(Notification & { body: unknown }) | null> {
      const r = await db.get<NotificationRow>('SELECT * FROM notifications WHERE id = ?', [id])
      return r ? { ...toNotification(r), body: JSON.parse(r.body) as unknown } : null
    },
    sent: async (id: number, at: string, status: number): Promise<void> => {
      await db.run(`UPDATE notifications SET state = 'sent', attempts = attempts + 1, last_attempt_at = ?, last_status = ?, last_error = NULL, sent_at = ?
        WHERE id = ? AND state = 'pending'`, [at, status, at, id])
    },
    retry: async (id: number, at: string, status: number | null, error: string, next: string): Promise<void> => {
      await db.run(`UPDATE notifications SET attempts = attempts + 1, last_attempt_at = ?, last_status = ?, last_error = ?, next_attempt_at = ?
        WHERE id = ? AND state = 'pending'`, [at, status, error, next, id])
    },
    /** `attempted`: this give-up follows an attempt (counted), or happens without one (webhook deleted). */
    giveUp: async (id: number, at: string, status: number | null, error: string, attempted: boolean): Promise<void> => {
      await db.run(`UPDATE notifications SET state = 'given_up', attempts = attempts + ?, last_attempt_at = coalesce(?, last_attempt_at),
        last_status = coalesce(?, last_status), last_error = ?, given_up_at = ? WHERE id = ? AND state = 'pending'`,
      [attempted ? 1 : 0, attempted ? at : null, status, error, at, id])
    },
    async listNotifications (q: NotificationQuery): Promise<Notification[]> {
      const where: string[] = []
      const args: SqlValue[] = []
      if (q.state !== undefined) { where.push('state = ?'); args.push(q.state) }
      if (q.webhook !== undefined) { where.push('webhook_id = ?'); args.push(q.webhook) }
      if (q.before !== undefined) { where.push('id < ?'); args.push(q.before) }
      const sql = `SELECT * FROM notifications${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
      return (await db.all<NotificationRow>(sql, [...args, q.limit])).map(toNotification)
    },
    async counts (): Promise<Record<NotificationState, number>> {
      const out: Record<NotificationState, number> = { pending: 0, sent: 0, given_up: 0 }
      for (const r of await db.all<{ state: NotificationState, n: number }>('SELECT state, count(*) AS n FROM notifications GROUP BY state')) out[r.state] = r.n
      return out
    }
  }
}

export type NotifyStore = ReturnType<typeof createNotifyStore>
