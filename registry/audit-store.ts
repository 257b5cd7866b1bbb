import type { SqlDb } from './db/sql-db.ts'
import type { AuditEntry } from './schemas.ts'

type Row = { id: number, at: string, actor: string, action: string, target: string, before: string | null, after: string | null }

// Secrets never enter the log: callers pass records (hash-free), never credentials.
export function createAuditStore (db: SqlDb) {
  const toEntry = (r: Row): AuditEntry => ({
    id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target,
    before: r.before === null ? null : JSON.parse(r.before) as unknown,
    after: r.after === null ? null : JSON.parse(r.after) as unknown
  })
  return {
    async append (entry: { actor: string, action: string, target: string, before?: unknown, after?: unknown }): Promise<void> {
      await db.run('INSERT INTO audit_log (at, actor, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?)', [new Date().toISOString(), entry.actor, entry.action, entry.target,
        entry.before === undefined ? null : JSON.stringify(entry.before), entry.after === undefined ? null : JSON.stringify(entry.after)])
    },
    /** Newest first; pass the last id seen as `before` for the next page. */
    async list (opts: { limit: number, before?: number, target?: string }): Promise<AuditEntry[]> {
      const before = opts.before ?? Number.MAX_SAFE_INTEGER
      const rows = opts.target === undefined
        ? await db.all<Row>('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?', [before, opts.limit])
        : await db.all<Row>('SELECT * FROM audit_log WHERE id < ? AND target = ? ORDER BY id DESC LIMIT ?', [before, opts.target, opts.limit])
      return rows.map(toEntry)
    }
  }
}

export type AuditStore = ReturnType<typeof createAuditStore>
