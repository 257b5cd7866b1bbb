import type { SqlDb, SqlValue } from './db/sql-db.ts'
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

// Rows per INSERT when adding hourly entries: 3 parameters each, well under both dialects' limits.
const ENTRY_CHUNK = 500

export function createAlertSettingsStore (db: SqlDb) {
  const override = async (scope: SettingsScope, scopeId: string, rule: Rule): Promise<RuleOverride | null> => {
    const r = await db.get<SettingsRow>('SELECT * FROM alert_settings WHERE scope = ? AND scope_id = ? AND rule = ?', [scope, scopeId, rule])
    return r ? toOverride(r) : null
  }
  const silence = async (id: number): Promise<Silence | null> => {
    const r = await db.get<SilenceRow>('SELECT * FROM alert_silences WHERE id = ?', [id])
    return r ? toSilence(r) : null
  }

  return {
    overrides: async (): Promise<RuleOverride[]> => (await db.all<SettingsRow>('SELECT * FROM alert_settings ORDER BY scope, scope_id, rule')).map(toOverride),
    override,
    /** Replaces the override (an empty patch removes it); the override before and after. */
    setOverride: (scope: SettingsScope, scopeId: string, rule: Rule, settings: RuleSettingsPatch, actor: string, at: string): Promise<{ before: RuleOverride | null, after: RuleOverride | null }> =>
      db.transaction(async () => {
        const before = await override(scope, scopeId, rule)
        if (Object.keys(settings).length === 0) await db.run('DELETE FROM alert_settings WHERE scope = ? AND scope_id = ? AND rule = ?', [scope, scopeId, rule])
        else {
          await db.run(`INSERT INTO alert_settings (scope, scope_id, rule, settings, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (scope, scope_id, rule) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
          [scope, scopeId, rule, JSON.stringify(settings), at, actor])
        }
        return { before, after: await override(scope, scopeId, rule) }
      }),
    /** Changes when any override changes: the evaluator reloads its settings then. */
    version: async (): Promise<string> => {
      const r = (await db.get<{ n: number, at: string }>('SELECT count(*) AS n, coalesce(max(updated_at), \'\') AS at FROM alert_settings'))!
      return `${r.n}@${r.at}`
    },

    async addSilence (s: NewSilence, actor: string, at: string): Promise<Silence> {
      const starts = s.startsAt === undefined ? at : new Date(s.startsAt).toISOString()
      const r = await db.get<SilenceRow>(`INSERT INTO alert_silences (scope, scope_id, rule, starts_at, ends_at, reason, created_by, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`, [s.scope, s.scopeId, s.rule ?? null, starts, new Date(s.endsAt).toISOString(), s.reason, actor, at])
      return toSilence(r!)
    },
    silence,
    /** Ends a silence now (its end moves to `at` unless it was due earlier); null when there is none or it had already ended. */
    endSilence: (id: number, actor: string, at: string): Promise<{ before: Silence, after: Silence } | null> => db.transaction(async () => {
      const before = await silence(id)
      if (!before) return null
      // ISO-8601 UTC times of one format compare as text in both dialects.
      const after = await db.get<SilenceRow>(`UPDATE alert_silences SET ended_at = ?, ended_by = ?, ends_at = CASE WHEN ends_at < ? THEN ends_at ELSE ? END
        WHERE id = ? AND ended_at IS NULL RETURNING *`, [at, actor, at, at, id])
      return after ? { before, after: toSilence(after) } : null
    }),
    activeSilences: async (at: string): Promise<Silence[]> =>
      (await db.all<SilenceRow>('SELECT * FROM alert_silences WHERE ended_at IS NULL AND starts_at <= ? AND ends_at > ? ORDER BY id', [at, at])).map(toSilence),
    /** Silences not yet over at `at` (active or future), newest first. */
    currentSilences: async (at: string, limit = 500): Promise<Silence[]> =>
      (await db.all<SilenceRow>('SELECT * FROM alert_silences WHERE ends_at > ? ORDER BY id DESC LIMIT ?', [at, limit])).map(toSilence),

    /**
     * Door entries per station and epoch hour (UTC hour number), added to what is there. Rows
     * of the same station and hour are summed first: one statement may not touch a row twice
     * (PostgreSQL's ON CONFLICT DO UPDATE refuses that).
     */
    async addHourlyEntries (rows: Array<{ stationId: string, hour: number, entries: number }>): Promise<void> {
      const summed = new Map<string, { stationId: string, hour: number, entries: number }>()
      for (const r of rows) {
        const key = `${r.stationId}\u0000${r.hour}`
        const s = summed.get(key)
        if (s) s.entries += r.entries
        else summed.set(key, { ...r })
      }
      const all = [...summed.values()]
      for (let i = 0; i < all.length; i += ENTRY_CHUNK) {
        const chunk = all.slice(i, i + ENTRY_CHUNK)
        const args: SqlValue[] = []
        for (const r of chunk) args.push(r.stationId, r.hour, r.entries)
        await db.run(`INSERT INTO alert_hourly_entries (station_id, hour, entries) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}
          ON CONFLICT (station_id, hour) DO UPDATE SET entries = alert_hourly_entries.entries + excluded.entries`, args)
      }
    },
    hourlyEntriesSince: (hour: number): Promise<Array<{ station_id: string, hour: number, entries: number }>> =>
      db.all('SELECT station_id, hour, entries FROM alert_hourly_entries WHERE hour >= ?', [hour]),
    pruneHourlyEntries: async (beforeHour: number): Promise<void> => { await db.run('DELETE FROM alert_hourly_entries WHERE hour < ?', [beforeHour]) }
  }
}

export type AlertSettingsStore = ReturnType<typeof createAlertSettingsStore>
