// The registry's SqlDb as its stores hold it: inside `registry.transaction(fn)` every store's
// statement goes to that transaction, outside it to the database. SqlDb.transaction wants fn
// to use its `tx`; carrying the tx in AsyncLocalStorage lets the stores (created once, shared
// by API, broker and alerts) stay plain objects, and callers keep calling `registry.alerts.fire`
// inside a transaction as they did before. A statement that another caller issues meanwhile
// runs outside the context and waits for the transaction (sqlite) or uses another client (pg).
import { AsyncLocalStorage } from 'node:async_hooks'
import type { SqlDb, SqlValue } from './db/sql-db.ts'

export function createScopedDb (root: SqlDb): SqlDb {
  const current = new AsyncLocalStorage<SqlDb>()
  const db = (): SqlDb => current.getStore() ?? root
  return {
    dialect: root.dialect,
    get: <T>(sql: string, params?: readonly SqlValue[]) => db().get<T>(sql, params),
    all: <T>(sql: string, params?: readonly SqlValue[]) => db().all<T>(sql, params),
    run: (sql: string, params?: readonly SqlValue[]) => db().run(sql, params),
    exec: (sql: string) => db().exec(sql),
    // Nested: joins the transaction already open (all or nothing together).
    transaction: <T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> => {
      const open = current.getStore()
      if (open) return fn(open)
      return root.transaction((tx) => current.run(tx, () => fn(tx)))
    },
    close: () => root.close()
  }
}
