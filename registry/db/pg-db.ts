// SqlDb over PostgreSQL (registry/db/sql-db.ts) with a pg Pool. Stores write `?` placeholders as
// for SQLite; they are numbered $1, $2 … here, outside string literals, quoted identifiers and
// comments. Integers come back as JS numbers as node:sqlite returns them: BIGINT (our integer
// columns, COUNT) and NUMERIC (SUM and AVG of integers) are parsed to numbers, and a value a
// number cannot hold exactly fails the query as node:sqlite does, instead of silently rounding.
import pg from 'pg'
import type { RunResult, SqlDb, SqlRow, SqlValue } from './sql-db.ts'

const INT8_OID = 20
const NUMERIC_OID = 1700

function parseInt8 (text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new RangeError(`Value is too large to be represented as a JavaScript number: ${text}`)
  return n
}

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) return parseInt8
    if (oid === NUMERIC_OID) return (text: string) => Number(text)
    return pg.types.getTypeParser(oid, format as 'text')
  }) as pg.CustomTypesConfig['getTypeParser']
}

const isIdentChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$]/.test(c)

/**
 * `?` → `$1`, `$2` … in order, except inside '…' (and E'…' with backslash escapes), "…",
 * $tag$…$tag$, -- and (nested) block comments. Postgres' jsonb `?` operators cannot be written
 * this way: use jsonb_exists() instead.
 */
export function numberPlaceholders (sql: string): { text: string, count: number } {
  let out = ''
  let count = 0
  let i = 0
  const n = sql.length
  while (i < n) {
    const c = sql[i]!
    const next = sql[i + 1]
    if (c === '?') {
      out += `$${++count}`
      i++
    } else if (c === "'") {
      // E'…' (also e'…') takes backslash escapes; a plain '…' only doubles its quotes.
      const escapes = (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !isIdentChar(sql[i - 2])
      let j = i + 1
      for (; j < n; j++) {
        if (escapes && sql[j] === '\\') { j++; continue }
        if (sql[j] === "'") { if (sql[j + 1] === "'") { j++; continue } break }
      }
      out += sql.slice(i, j + 1)
      i = j + 1
    } else if (c === '"') {
      let j = i + 1
      for (; j < n; j++) if (sql[j] === '"') { if (sql[j + 1] === '"') { j++; continue } break }
      out += sql.slice(i, j + 1)
      i = j + 1
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i)
      const j = end < 0 ? n : end
      out += sql.slice(i, j)
      i = j
    } else if (c === '/' && next === '*') {
      let depth = 1
      let j = i + 2
      while (j < n && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') { depth++; j += 2 } else if (sql[j] === '*' && sql[j + 1] === '/') { depth--; j += 2 } else j++
      }
      out += sql.slice(i, j)
      i = j
    } else if (c === '$' && !isIdentChar(sql[i - 1])) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))?.[0]
      if (!tag) { out += c; i++; continue }
      const end = sql.indexOf(tag, i + tag.length)
      const j = end < 0 ? n : end + tag.length
      out += sql.slice(i, j)
      i = j
    } else {
      out += c
      i++
    }
  }
  return { text: out, count }
}

/** The URL or pool settings of the database; the password never appears in errors. */
export type PostgresDbConfig = string | pg.PoolConfig

type Queryable = pg.Pool | pg.PoolClient

export function createPostgresDb (config: PostgresDbConfig): SqlDb {
  const pool = new pg.Pool({ ...(typeof config === 'string' ? { connectionString: config } : config), types })
  // An idle client whose connection drops (a server restart) emits 'error' on the pool; without
  // a listener that would end the process. The pool discards it and the next query reconnects.
  pool.on('error', () => {})
  const translated = new Map<string, { text: string, count: number }>()
  const translate = (sql: string) => {
    let t = translated.get(sql)
    if (!t) {
      t = numberPlaceholders(sql)
      if (translated.size < 10_000) translated.set(sql, t) // stores use a bounded set of statements
    }
    return t
  }

  async function query (on: Queryable, sql: string, params: readonly SqlValue[] | undefined): Promise<pg.QueryResult> {
    const { text, count } = translate(sql)
    const values = (params ?? []) as unknown[]
    if (values.length !== count) throw new Error(`postgres: statement has ${count} ? placeholder(s) but ${values.length} value(s) were given; SQL: ${oneLine(sql)}`)
    try {
      return await (on as pg.Pool).query({ text, values })
    } catch (err) {
      throw clearError(err, sql)
    }
  }

  function over (on: Queryable): Omit<SqlDb, 'transaction' | 'close'> {
    return {
      dialect: 'postgres',
      get: async <T = SqlRow>(sql: string, params?: readonly SqlValue[]) => (await query(on, sql, params)).rows[0] as T | undefined,
      all: async <T = SqlRow>(sql: string, params?: readonly SqlValue[]) => (await query(on, sql, params)).rows as T[],
      run: async (sql: string, params?: readonly SqlValue[]): Promise<RunResult> => ({ changes: (await query(on, sql, params)).rowCount ?? 0 }),
      // No values: the simple query protocol, which takes several statements at once.
      exec: async (sql: string) => { try { await (on as pg.Pool).query(sql) } catch (err) { throw clearError(err, sql) } }
    }
  }

  // A client of its own for the transaction: the pool's other clients keep serving everyone else.
  async function transaction<T> (fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    let client: pg.PoolClient
    try {
      client = await pool.connect()
    } catch (err) {
      throw clearError(err, 'BEGIN')
    }
    let broken: Error | undefined
    try {
      await client.query('BEGIN')
      const tx: SqlDb = {
        ...over(client),
        transaction: (inner) => inner(tx), // joins the open transaction, as in sqlite-db.ts
        close: async () => { throw new Error('close() the database, not a transaction') }
      }
      const result = await fn(tx)
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => { broken = rollbackErr })
      throw err
    } finally {
      // A client whose ROLLBACK failed may be mid-transaction: destroy it, never reuse it.
      client.release(broken)
    }
  }

  let closing: Promise<void> | undefined
  return {
    ...over(pool),
    transaction,
    close: () => { closing ??= pool.end(); return closing }
  }
}

const oneLine = (sql: string) => {
  const s = sql.replace(/\s+/g, ' ').trim()
  return s.length > 300 ? `${s.slice(0, 300)}…` : s
}

// Node's network errors (ECONNREFUSED, ENOTFOUND …) and pg's own for a lost connection.
const isConnectionError = (e: Error & { code?: string }) =>
  (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) || /Connection terminated|timeout exceeded when trying to connect/i.test(e.message)

/**
 * pg's error with the statement it came from, keeping its SQLSTATE `code` (23505 unique
 * violation …), `detail` and `constraint`; connection errors say that PostgreSQL is unreachable.
 */
function clearError (err: unknown, sql: string): Error {
  if (!(err instanceof Error)) return new Error(`postgres: ${String(err)}; SQL: ${oneLine(sql)}`)
  const e = err as Error & { code?: string, detail?: string, constraint?: string }
  const message = isConnectionError(e)
    ? `cannot reach PostgreSQL: ${e.message}`
    : `${e.message}${e.detail ? ` (${e.detail})` : ''}; SQL: ${oneLine(sql)}`
  return Object.assign(new Error(message, { cause: err }), { code: e.code, detail: e.detail, constraint: e.constraint })
}
