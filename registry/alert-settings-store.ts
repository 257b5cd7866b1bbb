import type { DatabaseSync } from 'node:sqlite'
import type { NewSilence, Rule, RuleOverride, RuleSettingsPatch, SettingsScope, Silence } from '../alerts/schemas.ts'

// Rule setting overrides (fleet < district < station, over the built-in defaults in
// alerts/defaults.ts), silences (maintenance windows) and the hourly door-entry counts the
// silent-door rule learns from. Changes to settings and silences are audited by the caller
// (alerts/alert-admin.ts), like every admin change.

type SettingsRow = { scope: string, scope_id: string, rule: string, settings: string, updated_at: string, updated_by: string }
type SilenceRow = {
  id: number, scope: string, scope_id: string, rule: string | null, starts_at: string, ends_at: string, reason: string,
  created_by: string, created_at: string, ended_at: string | null, ended_by: string | null
}

const toOverride = (r: SettingsRow): RuleOverride => ({
  scope: r.scope as SettingsScope, scopeId: r.scope_id, rule: r.rule as Rule, settings: JSON.parse(r.settings) as RuleSettingsPatch,
  updatedAt: r.updated_at, updatedBy: r.updated_by
})

const toSilence = (r: SilenceRow): Silence => ({
  id: r.id, scope: r.scope as Silence['scope'], scopeId: r.scope_id, rule: r.rule as Rule | null, startsAt: r.starts_at, endsAt: r.ends_at,
  reason: r.reason, createdBy: r.created_by, createdAt: r.created_at, endedAt: r.ended_at, endedBy: r.ended_by
})

export function createAlertSettingsStore (db: DatabaseSync) {
  const allOverrides = db.prepare('SELECT * FROM alert_settings ORDER BY scope, scope_id, rule')
  const getOverride = db.prepare('SELECT * FROM alert_settings WHERE scope = ? AND scope_id = ? AND rule = ?')
  const upsert = db.prepare(`INSERT INTO alert_settings (scope, scope_id, rule, settings, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (scope, scope_id, rule) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, updated_by = excluded.updated_by`)
  const remove = db.prepare('DELETE FROM alert_settings WHERE scope = ? AND scope_id = ? AND rule = ?')
  const version = db.prepare('SELECT count(*) AS n, coalesce(max(updated_at), \'\') AS at FROM alert_settings')
  const insertSilence = db.prepare(`INSERT INTO alert_silences (scope, scope_id, rule, starts_at, ends_at, reason, created_by, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`)
  const silenceById = db.prepare('SELECT * FROM alert_silences WHERE id = ?')
  const endSilence = db.prepare('UPDATE alert_silences SET ended_at = ?, ended_by = ?, ends_at = min(ends_at, ?) WHERE id = ? AND ended_at IS NULL')
  const activeSilences = db.prepare('SELECT * FROM alert_silences WHERE ended_at IS NULL AND starts_at <= ? AND ends_at > ? ORDER BY id')
  const recentSilences = db.prepare('SELECT * FROM alert_silences WHERE ends_at > ? ORDER BY id DESC LIMIT ?')
  const addEntries = db.prepare(`INSERT INTO alert_hourly_entries (station_id, hour, entries) VALUES (?, ?, ?)
    ON CONFLICT (station_id, hour) DO UPDATE SET entries = entries + excluded.entries`)
  const entriesSince = db.prepare('SELECT station_id, hour, entries FROM alert_hourly_entries WHERE hour >= ?')
  const pruneEntries = db.prepare('DELETE FROM alert_hourly_entries WHERE hour < ?')

  return {
    overrides: (): RuleOverride[] => (allOverrides.all() as SettingsRow[]).map(toOverride),
    override (scope: SettingsScope, scopeId: string, rule: Rule): RuleOverride | null {
      const r = getOverride.get(scope, scopeId, rule) as SettingsRow | undefined
      return r ? toOverride(r) : null
    },
    /** Replaces the override (an empty patch removes it); the override before and after. */
    setOverride (scope: SettingsScope, scopeId: string, rule: Rule, settings: RuleSettingsPatch, actor: string, at: string): { before: RuleOverride | null, after: RuleOverride | null } {
      const before = this.override(scope, scopeId, rule)
      if (Object.keys(settings).length === 0) remove.run(scope, scopeId, rule)
      else upsert.run(scope, scopeId, rule, JSON.stringify(settings), at, actor)
      return { before, after: this.override(scope, scopeId, rule) }
    },
    /** Changes when any override changes: the evaluator reloads its settings then. */
    version: (): string => { const r = version.get() as { n: number, at: string }; return `${r.n}@${r.at}` },

    addSilence (s: NewSilence, actor: string, at: string): Silence {
      const starts = s.startsAt === undefined ? at : new Date(s.startsAt).toISOString()
      return toSilence(insertSilence.get(s.scope, s.scopeId, s.rule ?? null, starts, new Date(s.endsAt).toISOString(), s.reason, actor, at) as SilenceRow)
    },
    silence: (id: number): Silence | null => { const r = silenceById.get(id) as SilenceRow | undefined; return r ? toSilence(r) : null },
    /** Ends a silence now; null when there is none or it had already ended. */
    endSilence (id: number, actor: string, at: string): { before: Silence, after: Silence } | null {
      const before = this.silence(id)
      if (!before || endSilence.run(at, actor, at, id).changes !== 1) return null
      return { before, after: this.silence(id)! }
    },
    activeSilences: (at: string): Silence[] => (activeSilences.all(at, at) as SilenceRow[]).map(toSilence),
    /** Silences not yet over at `at` (active or future), newest first. */
    currentSilences: (at: string, limit = 500): Silence[] => (recentSilences.all(at, limit) as SilenceRow[]).map(toSilence),

    /** Door entries per station and epoch hour (UTC hour number), added to what is there. */
    addHourlyEntries (rows: Array<{ stationId: string, hour: number, entries: number }>): void {
      for (const r of rows) addEntries.run(r.stationId, r.hour, r.entries)
    },
    hourlyEntriesSince: (hour: number): Array<{ station_id: string, hour: number, entries: number }> =>
      entriesSince.all(hour) as Array<{ station_id: string, hour: number, entries: number }>,
    pruneHourlyEntries: (beforeHour: number): void => { pruneEntries.run(beforeHour) }
  }
}

export type AlertSettingsStore = ReturnType<typeof createAlertSettingsStore>
