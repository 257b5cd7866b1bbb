import type { DatabaseSync, SQLInputValue } from 'node:sqlite'
import type { Alert, AlertQuery, AlertState, AlertTransition, Rule, Severity, TransitionKind } from '../alerts/schemas.ts'

// Alerts and their transitions (migration 8). Every state change is a conditional UPDATE
// (`WHERE state IN (...)`) plus its transition row, so two writers (the evaluator and an
// operator's API call, possibly in another process) cannot both move the same alert: the
// loser's update changes no row and writes no transition. Callers group changes in one
// transaction (registry.syncTransaction until this store is async) so that a state and its
// transition commit together.

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

export function createAlertStore (db: DatabaseSync) {
  const insertAlert = db.prepare(`INSERT INTO alerts (station_id, district, rule, subject, severity, state, summary, value, threshold, pending_since, updated_at)
    VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
  const openByKey = db.prepare(`SELECT * FROM alerts WHERE station_id = ? AND rule = ? AND subject = ? AND state <> 'resolved'`)
  const byId = db.prepare('SELECT * FROM alerts WHERE id = ?')
  const allOpen = db.prepare(`SELECT * FROM alerts WHERE state <> 'resolved' ORDER BY id`)
  const insertTransition = db.prepare(`INSERT INTO alert_transitions (alert_id, at, kind, from_state, to_state, actor, note, station_id, district, rule, subject, severity, escalation_level, target, notify)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const historyOf = db.prepare('SELECT * FROM alert_transitions WHERE alert_id = ? ORDER BY id')
  const transitionsAfter = db.prepare('SELECT * FROM alert_transitions WHERE id > ? ORDER BY id LIMIT ?')
  const setClearing = db.prepare(`UPDATE alerts SET clearing_since = ?, value = coalesce(?, value), updated_at = ? WHERE id = ? AND state <> 'resolved'`)

  function transition (a: Alert, kind: TransitionKind, toState: AlertState, at: string, actor: string, note: string | null, notify: boolean, target: string | null = null): void {
    insertTransition.run(a.id, at, kind, kind === 'pending' ? null : a.state, toState, actor, note, a.stationId, a.district, a.rule, a.subject, a.severity,
      a.escalationLevel, target, notify ? 1 : 0)
  }

  /** Moves `id` from one of `from` to `to` with `sets`; the alert after the move, or null when it was not in `from`. */
  function move (id: number, from: readonly AlertState[], to: AlertState, sets: Record<string, SQLInputValue>, at: string): { before: Alert, after: Alert } | null {
    const row = byId.get(id) as AlertRow | undefined
    if (!row || !from.includes(row.state as AlertState)) return null
    const cols = Object.keys(sets)
    const sql = `UPDATE alerts SET state = ?, updated_at = ?${cols.map((c) => `, ${c} = ?`).join('')} WHERE id = ? AND state = ?`
    const changed = db.prepare(sql).run(to, at, ...Object.values(sets), id, row.state).changes
    if (changed !== 1) return null
    return { before: toAlert(row), after: toAlert(byId.get(id) as AlertRow) }
  }

  return {
    /**
     * Opens a pending alert, or returns the one already open for the same station, rule and
     * subject (re-firing updates, never duplicates). `created` says which.
     */
    open (a: NewAlert): { alert: Alert, created: boolean } {
      const r = insertAlert.run(a.stationId, a.district, a.rule, a.subject, a.severity, a.summary, a.value, a.threshold, a.at, a.at)
      const alert = toAlert(openByKey.get(a.stationId, a.rule, a.subject) as AlertRow)
      if (r.changes === 1) transition(alert, 'pending', 'pending', a.at, SYSTEM_ACTOR, null, false)
      return { alert, created: r.changes === 1 }
    },

    /** pending → firing, once the pending period has passed. */
    fire (id: number, at: string, value: number | null, summary: string): Alert | null {
      const m = move(id, ['pending'], 'firing', { fired_at: at, value, summary, clearing_since: null }, at)
      if (m) transition(m.before, 'fired', 'firing', at, SYSTEM_ACTOR, null, true)
      return m?.after ?? null
    },

    /** pending → resolved: the condition cleared before the pending period was over (not notified). */
    cancel (id: number, at: string): Alert | null {
      const m = move(id, ['pending'], 'resolved', { resolved_at: at, resolved_by: SYSTEM_ACTOR }, at)
      if (m) transition(m.before, 'cancelled', 'resolved', at, SYSTEM_ACTOR, null, false)
      return m?.after ?? null
    },

    /** firing → acknowledged by an operator, with a note. */
    acknowledge (id: number, at: string, actor: string, note: string): Alert | null {
      const m = move(id, ['firing'], 'acknowledged', { acknowledged_at: at, acknowledged_by: actor }, at)
      if (m) transition(m.before, 'acknowledged', 'acknowledged', at, actor, note, true)
      return m?.after ?? null
    },

    /** → resolved: by the evaluator after the hold-off, or by an operator with a note. */
    resolve (id: number, at: string, actor: string, note: string | null): Alert | null {
      const m = move(id, ['firing', 'acknowledged'], 'resolved', { resolved_at: at, resolved_by: actor, clearing_since: null }, at)
      if (m) transition(m.before, 'resolved', 'resolved', at, actor, note, true)
      return m?.after ?? null
    },

    /** Escalation level `level` (1-based) reached while still unacknowledged. */
    escalate (id: number, level: number, target: string, at: string): Alert | null {
      const row = byId.get(id) as AlertRow | undefined
      if (!row || row.state !== 'firing' || row.escalation_level >= level) return null
      if (db.prepare(`UPDATE alerts SET escalation_level = ?, updated_at = ? WHERE id = ? AND state = 'firing' AND escalation_level < ?`).run(level, at, id, level).changes !== 1) return null
      const after = toAlert(byId.get(id) as AlertRow)
      transition(after, 'escalated', 'firing', at, SYSTEM_ACTOR, null, true, target)
      return after
    },

    /** Starts (a time) or stops (null) the hold-off of an open alert; kept so a restart continues it. */
    setClearing (id: number, since: string | null, value: number | null, at: string): void {
      setClearing.run(since, value, at, id)
    },

    get: (id: number): Alert | null => { const r = byId.get(id) as AlertRow | undefined; return r ? toAlert(r) : null },
    history: (id: number): AlertTransition[] => (historyOf.all(id) as TransitionRow[]).map(toTransition),
    /** Every open alert, for the evaluator to take up where it left off after a restart. */
    listOpen: (): Alert[] => (allOpen.all() as AlertRow[]).map(toAlert),
    /** The notifier's outbox: transitions after its cursor, in commit order. */
    transitionsAfter: (cursor: number, limit: number): AlertTransition[] => (transitionsAfter.all(cursor, limit) as TransitionRow[]).map(toTransition),

    /** Newest first, filtered; `stations` (when given) limits to a caller's scope. */
    list (q: AlertQuery, stations?: readonly string[]): Alert[] {
      const where: string[] = []
      const args: SQLInputValue[] = []
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
      if (stations !== undefined) { where.push(`station_id IN (SELECT value FROM json_each(?))`); args.push(JSON.stringify(stations)) }
      const sql = `SELECT * FROM alerts${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`
      return (db.prepare(sql).all(...args, q.limit) as AlertRow[]).map(toAlert)
    },

    /** Open alerts by rule and severity (Prometheus gauge). */
    openCounts: (): Array<{ rule: string, severity: string, state: string, n: number }> =>
      db.prepare(`SELECT rule, severity, state, count(*) AS n FROM alerts WHERE state <> 'resolved' GROUP BY rule, severity, state`).all() as Array<{ rule: string, severity: string, state: string, n: number }>
  }
}

export type AlertStore = ReturnType<typeof createAlertStore>
