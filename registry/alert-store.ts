import type { SqlDb, SqlValue } from './db/sql-db.ts'
import type { Alert, AlertQuery, AlertState, AlertTransition, Rule, Severity, TransitionKind } from '../alerts/schemas.ts'

// Alerts and their transitions (migration 8). Every state change is a conditional UPDATE
// (`WHERE state IN (...)`) plus its transition row, so two writers (the evaluator and an
// operator's API call, possibly in another process) cannot both move the same alert: the
// loser's update changes no row and writes no transition. Callers group changes in one
// transaction (`registry.transaction(async () => …)`, which every statement of this store
// joins: registry/scoped-db.ts) so that a state and its transition commit together. Writers
// take turns: SQLite has one, and on PostgreSQL each takes WRITER_LOCK (below) first, so the
// loser reads the state the winner committed. The conditional UPDATE would hold on its own
// too: the loser's UPDATE waits for the winner's row lock, then re-checks `state` on the
// committed row (READ COMMITTED) and changes nothing.

type AlertRow = {
  id: number, station_id: string, district: string, rule: string, subject: string, severity: string, state: string,
  summary: string, value: number | null, threshold: number | null, pending_since: string, fired_at: string | null,
  acknowledged_at: string | null, acknowledged_by: string | null, clearing_since: string | null, resolved_at: string | null,
  resolved_by: string | null, escalation_level: number, updated_at: string
}
type TransitionRow = {
  id: number, alert_id: number, at: string, kind: string, from_state: string | null, to_state: string, actor: string, note: string | null,
  station_id: string, district: string, rule: string, subject: string, severity: string, escalation_level: number, target: string | null, notify: number
}

export const toAlert = (r: AlertRow): Alert => ({
  id: r.id, stationId: r.station_id, district: r.district, rule: r.rule as Rule, subject: r.subject, severity: r.severity as Severity,
  state: r.state as AlertState, summary: r.summary, value: r.value, threshold: r.threshold, pendingSince: r.pending_since,
  firedAt: r.fired_at, acknowledgedAt: r.acknowledged_at, acknowledgedBy: r.acknowledged_by, clearingSince: r.clearing_since,
  resolvedAt: r.resolved_at, resolvedBy: r.resolved_by, escalationLevel: r.escalation_level, updatedAt: r.updated_at
})

export const toTransition = (r: TransitionRow): AlertTransition => ({
  id: r.id, alertId: r.alert_id, at: r.at, kind: r.kind as TransitionKind, fromState: r.from_state as AlertState | null,
  toState: r.to_state as AlertState, actor: r.actor, note: r.note, stationId: r.station_id, district: r.district, rule: r.rule as Rule,
  subject: r.subject, severity: r.severity as Severity, escalationLevel: r.escalation_level, target: r.target, notify: r.notify === 1
})

export type NewAlert = {
  stationId: string, district: string, rule: Rule, subject: string, severity: Severity,
  summary: string, value: number | null, threshold: number | null, at: string
}

/** The system's own actor in transitions (operators are `token:<id>:<name>` or `cli:<user>`). */
export const SYSTEM_ACTOR = 'system'

// PostgreSQL takes an identity id at INSERT, not at commit: two writers could commit transitions
// out of id order, and the notifier, reading after its cursor (docs/alerts.md, contract 2),
// would skip for good the one committed later with the lower id. So every write of this store
// first takes this transaction-scoped lock, before any row lock (writers never wait on each
// other in opposite orders): writers of alerts and transitions commit one at a time, in id
// order, as SQLite's single writer does. Any constant will do, the same in every process.
const WRITER_LOCK = 0x616c_7274 // 'alrt'

export function createAlertStore (db: SqlDb) {
  const byId = (id: number) => db.get<AlertRow>('SELECT * FROM alerts WHERE id = ?', [id])
  /** Within a transaction: waits for other writers' transactions to end (postgres; SQLite has one writer anyway). */
  const writer = async (): Promise<void> => { if (db.dialect === 'postgres') await db.run(`SELECT pg_advisory_xact_lock(${WRITER_LOCK})`) }

  async function transition (a: Alert, kind: TransitionKind, toState: AlertState, at: string, actor: string, note: string | null, notify: boolean, target: string | null = null): Promise<void> {
    await db.run(`INSERT INTO alert_transitions (alert_id, at, kind, from_state, to_state, actor, note, station_id, district, rule, subject, severity, escalation_level, target, notify)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [a.id, at, kind, kind === 'pending' ? null : a.state, toState, actor, note, a.stationId, a.district, a.rule, a.subject, a.severity,
      a.escalationLevel, target, notify ? 1 : 0])
  }

  /**
   * Moves `id` from one of `from` to `to` with `sets`, and writes its transition, in one
   * transaction (joining the caller's); the alert after the move, or null when it was not in
   * `from` (or another writer moved it first).
   */
  function move (id: number, from: readonly AlertState[], to: AlertState, sets: Record<string, SqlValue>, at: string,
    written: (before: Alert, after: Alert) => Promise<void>): Promise<Alert | null> {
    return db.transaction(async () => {
      await writer()
      const row = await byId(id)
      if (!row || !from.includes(row.state as AlertState)) return null
      const cols = Object.keys(sets)
      const after = await db.get<AlertRow>(`UPDATE alerts SET state = ?, updated_at = ?${cols.map((c) => `, ${c} = ?`).join('')} WHERE id = ? AND state = ? RETURNING *`,
        [to, at, ...Object.values(sets), id, row.state])
      if (!after) return null
      await written(toAlert(row), toAlert(after))
      return toAlert(after)
    })
  }

  return {
    /**
     * Opens a pending alert, or returns the one already open for the same station, rule and
     * subject (re-firing updates, never duplicates: the partial unique index alerts_one_open
     * turns a second insert into nothing). `created` says which.
     */
    open: (a: NewAlert): Promise<{ alert: Alert, created: boolean }> => db.transaction(async () => {
      await writer()
      const created = await db.get<AlertRow>(`INSERT INTO alerts (station_id, district, rule, subject, severity, state, summary, value, threshold, pending_since, updated_at)
        VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *`,
      [a.stationId, a.district, a.rule, a.subject, a.severity, a.summary, a.value, a.threshold, a.at, a.at])
      if (created) {
        const alert = toAlert(created)
        await transition(alert, 'pending', 'pending', a.at, SYSTEM_ACTOR, null, false)
        return { alert, created: true }
      }
      const open = await db.get<AlertRow>(`SELECT * FROM alerts WHERE station_id = ? AND rule = ? AND subject = ? AND state <> 'resolved'`, [a.stationId, a.rule, a.subject])
      return { alert: toAlert(open!), created: false }
    }),

    /** pending → firing, once the pending period has passed. */
    fire: (id: number, at: string, value: number | null, summary: string): Promise<Alert | null> =>
      move(id, ['pending'], 'firing', { fired_at: at, value, summary, clearing_since: null }, at,
        (before) => transition(before, 'fired', 'firing', at, SYSTEM_ACTOR, null, true)),

    /** pending → resolved: the condition cleared before the pending period was over (not notified). */
    cancel: (id: number, at: string): Promise<Alert | null> =>
      move(id, ['pending'], 'resolved', { resolved_at: at, resolved_by: SYSTEM_ACTOR }, at,
        (before) => transition(before, 'cancelled', 'resolved', at, SYSTEM_ACTOR, null, false)),

    /** firing → acknowledged by an operator, with a note. */
    acknowledge: (id: number, at: string, actor: string, note: string): Promise<Alert | null> =>
      move(id, ['firing'], 'acknowledged', { acknowledged_at: at, acknowledged_by: actor }, at,
        (before) => transition(before, 'acknowledged', 'acknowledged', at, actor, note, true)),

    /** → resolved: by the evaluator after the hold-off, or by an operator with a note. */
    resolve: (id: number, at: string, actor: string, note: string | null): Promise<Alert | null> =>
      move(id, ['firing', 'acknowledged'], 'resolved', { resolved_at: at, resolved_by: actor, clearing_since: null }, at,
        (before) => transition(before, 'resolved', 'resolved', at, actor, note, true)),

    /** Escalation level `level` (1-based) reached while still unacknowledged. */
    escalate: (id: number, level: number, target: string, at: string): Promise<Alert | null> => db.transaction(async () => {
      await writer()
      const r = await db.get<AlertRow>(`UPDATE alerts SET escalation_level = ?, updated_at = ? WHERE id = ? AND state = 'firing' AND escalation_level < ? RETURNING *`,
        [level, at, id, level])
      if (!r) return null
      const after = toAlert(r)
      await transition(after, 'escalated', 'firing', at, SYSTEM_ACTOR, null, true, target)
      return after
    }),

    /** Starts (a time) or stops (null) the hold-off of an open alert; kept so a restart continues it. The alert after, or null. */
    setClearing: (id: number, since: string | null, value: number | null, at: string): Promise<Alert | null> => db.transaction(async () => {
      await writer()
      const r = await db.get<AlertRow>(`UPDATE alerts SET clearing_since = ?, value = coalesce(?, value), updated_at = ? WHERE id = ? AND state <> 'resolved' RETURNING *`,
        [since, value, at, id])
      return r ? toAlert(r) : null
    }),

    get: async (id: number): Promise<Alert | null> => { const r = await byId(id); return r ? toAlert(r) : null },
    history: async (id: number): Promise<AlertTransition[]> =>
      (await db.all<TransitionRow>('SELECT * FROM alert_transitions WHERE alert_id = ? ORDER BY id', [id])).map(toTransition),
    /** Every open alert, for the evaluator to take up where it left off after a restart. */
    listOpen: async (): Promise<Alert[]> => (await db.all<AlertRow>(`SELECT * FROM alerts WHERE state <> 'resolved' ORDER BY id`)).map(toAlert),
    /** The notifier's outbox: transitions after its cursor, in commit order. */
    transitionsAfter: async (cursor: number, limit: number): Promise<AlertTransition[]> =>
      (await db.all<TransitionRow>('SELECT * FROM alert_transitions WHERE id > ? ORDER BY id LIMIT ?', [cursor, limit])).map(toTransition),

    /** Newest first, filtered; `stations` (when given) limits to a caller's scope. */
    async list (q: AlertQuery, stations?: readonly string[]): Promise<Alert[]> {
      const where: string[] = []
      const args: SqlValue[] = []
      if (q.state === 'open') where.push(`state <> 'resolved'`)
      else if (q.state !== undefined) { where.push('state = ?'); args.push(q.state) }
      if (q.station !== undefined) { where.push('station_id = ?'); args.push(q.station) }
      if (q.district !== undefined) { where.push('district = ?'); args.push(q.district) }
      if (q.rule !== undefined) { where.push('rule = ?'); args.push(q.rule) }
      if (q.severity !== undefined) { where.push('severity = ?'); args.push(q.severity) }
      // An alert belongs to a time range when it was open during it.
      if (q.from !== undefined) { where.push('(resolved_at IS NULL OR resolved_at >= ?)'); args.push(new Date(q.from).toISOString()) }
      if (q.to !== undefined) { where.push('pending_since < ?'); args.push(new Date(q.to).toISOString()) }
      if (q.before !== undefined) { where.push('id < ?'); args.push(q.before) }
      if (stations !== undefined) {
        // A scope may hold thousands of stations: one JSON array parameter, not one `?` each
        // (SQLite allows 32,766 parameters per statement, PostgreSQL 65,535).
        where.push(db.dialect === 'postgres'
          ? 'station_id IN (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))'
          : 'station_id IN (SELECT value FROM json_each(?))')
        args.push(JSON.stringify(stations))
      }
      const sql = `SELECT * FROM alerts${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
      return (await db.all<AlertRow>(sql, [...args, q.limit])).map(toAlert)
    },

    /** Open alerts by rule and severity (Prometheus gauge). */
    openCounts: (): Promise<Array<{ rule: string, severity: string, state: string, n: number }>> =>
      db.all(`SELECT rule, severity, state, count(*) AS n FROM alerts WHERE state <> 'resolved' GROUP BY rule, severity, state`)
  }
}

export type AlertStore = ReturnType<typeof createAlertStore>
