// The registry's database as the stores see it: async, so that PostgreSQL (pg) can stand behind
// the same stores as the embedded node:sqlite file (issue 15, item 3). Statements use `?`
// placeholders in both dialects; the postgres driver numbers them ($1, $2 …).
//
// Portable SQL only in stores: `ON CONFLICT … DO UPDATE/NOTHING` (not INSERT OR IGNORE/REPLACE),
// `RETURNING id` (not lastInsertRowid), `coalesce`, times as ISO text or integer ms computed
// in JS (not datetime('now')/now()). Where the dialects truly differ, branch on `db.dialect`.

/** A value a statement can bind: what node:sqlite and pg both accept. */
export type SqlValue = string | number | bigint | null | Uint8Array

/** A row as both drivers return it: integers (also COUNT and BIGINT) as JS numbers. */
export type SqlRow = Record<string, unknown>

export type RunResult = { changes: number }

export interface SqlDb {
  readonly dialect: 'sqlite' | 'postgres'
  /** The first row, or undefined. */
  get<T = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>
  all<T = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>
  /** INSERT/UPDATE/DELETE: how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>
  /** Several statements without parameters (DDL). */
  exec(sql: string): Promise<void>
  /**
   * fn's statements commit together or not at all. fn must use `tx`, not the outer db: other
   * callers' statements wait until the transaction ends (SQLite has one connection; postgres
   * gives the transaction a client of its own).
   */
  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T>
  close(): Promise<void>
}
