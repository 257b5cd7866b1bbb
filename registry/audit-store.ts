import type { DatabaseSync } from 'node:sqlite'
import type { AuditEntry } from './schemas.ts'

type Row = { id: number, at: string, actor: string, action: string, target: string, before: string | null, after: string | null }

// Secrets never enter the log: callers pass records (hash-free), never credentials.
export function createAuditStore (db: DatabaseSync) {
  const insert = db.prepare('INSERT INTO audit_log (at, actor, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?)')
  const page = db.prepare('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?')
  const pageForTarget = db.prepare('SELECT * FROM audit_log WHERE id < ? AND target = ? ORDER BY id DESC LIMIT ?')
  const toEntry = (r: Row): AuditEntry => ({
    id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target,
    before: r.before === null ? null : JSON.parse(r.before) as unknown,
    after: r.after === null ? null : JSON.parse(r.after) as unknown
  })
  return {
    append (entry: { actor: string, action: string, target: string, before?: unknown, after?: unknown }): void {
      insert.run(new Date().toISOString(), entry.actor, entry.action, entry.target,
        entry.before === undefined ? null : JSON.stringify(entry.before), entry.after === undefined ? null : JSON.stringify(entry.after))
    },
    /** Newest first; pass the last id seen as `before` for the next page. */
    list (opts: { limit: number, before?: number, target?: string }): AuditEntry[] {
      const before = opts.before ?? Number.MAX_SAFE_INTEGER
      const rows = opts.target === undefined ? page.all(before, opts.limit) : pageForTarget.all(before, opts.target, opts.limit)
      return (rows as Row[]).map(toEntry)
    }
  }
}

export type AuditStore = ReturnType<typeof createAuditStore>
