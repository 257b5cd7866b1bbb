// SqlDb over node:sqlite (registry/db/sql-db.ts). The calls are synchronous underneath and
// answered as promises. One connection: while a transaction runs, its awaits would let other
// callers' statements slip into it, so everyone else queues until it commits or rolls back.
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite'
import type { RunResult, SqlDb, SqlValue } from './sql-db.ts'

export function createSqliteDb (db: DatabaseSync): SqlDb {
  // Prepared once per distinct text: stores reuse a handful of statements on hot paths.
  const statements = new Map<string, StatementSync>()
  const prepare = (sql: string): StatementSync => {
    let s = statements.get(sql)
    if (!s) {
      s = db.prepare(sql)
      statements.set(sql, s)
    }
    return s
  }
  const bind = (params: readonly SqlValue[] | undefined): SQLInputValue[] => (params ?? []) as SQLInputValue[]
  // The tail of the queue of transactions: a statement outside them waits for it to settle.
  let idle: Promise<void> = Promise.resolve()
  let inTransaction = false

  const direct: SqlDb = {
    dialect: 'sqlite',
    get: async <T>(sql: string, params?: readonly SqlValue[]) => prepare(sql).get(...bind(params)) as T | undefined,
    all: async <T>(sql: string, params?: readonly SqlValue[]) => prepare(sql).all(...bind(params)) as T[],
    run: async (sql: string, params?: readonly SqlValue[]): Promise<RunResult> => ({ changes: Number(prepare(sql).run(...bind(params)).changes) }),
    exec: async (sql: string) => { db.exec(sql) },
    transaction: (fn) => run(fn),
    close: async () => { db.close() }
  }

  // Outside a transaction a statement runs at once (the common case, no extra tick) unless one
  // is open, then after it.
  const queued = <A extends unknown[], R>(op: (...args: A) => Promise<R>) => (...args: A): Promise<R> =>
    inTransaction ? idle.then(() => queued(op)(...args)) : op(...args)

  async function run<T> (fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    while (inTransaction) await idle
    inTransaction = true
    let release!: () => void
    idle = new Promise<void>((resolve) => { release = resolve })
    db.exec('BEGIN IMMEDIATE')
    try {
      const result = await fn({ ...direct, transaction: (inner) => inner(direct) })
      db.exec('COMMIT')
      return result
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK')
      throw err
    } finally {
      inTransaction = false
      release()
    }
  }

  return {
    dialect: 'sqlite',
    get: queued(direct.get) as SqlDb['get'],
    all: queued(direct.all) as SqlDb['all'],
    run: queued(direct.run),
    exec: queued(direct.exec),
    transaction: run,
    close: queued(direct.close)
  }
}
