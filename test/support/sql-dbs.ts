// A registry database of either dialect for a test: node:sqlite in memory (with foreign keys on,
// as openRegistry opens its file), or a database of its own on the run's PostgreSQL; migrated
// unless asked not to. For `describe.each(SQL_DIALECTS)` over a store's tests.
import { DatabaseSync } from 'node:sqlite'
import { migrateSql } from '../../registry/db/migrate-sql.ts'
import { createPostgresDb } from '../../registry/db/pg-db.ts'
import type { SqlDb } from '../../registry/db/sql-db.ts'
import { createSqliteDb } from '../../registry/db/sqlite-db.ts'
import { createTestPostgresDatabase } from './postgres.ts'

export const SQL_DIALECTS = ['sqlite', 'postgres'] as const
export type SqlDialect = typeof SQL_DIALECTS[number]

/** The database and how to get rid of it (closes it; drops the PostgreSQL database). */
export type TestSqlDb = { db: SqlDb, dispose (): Promise<void> }

export async function openTestSqlDb (dialect: SqlDialect, opts: { migrate?: boolean } = {}): Promise<TestSqlDb> {
  let opened: TestSqlDb
  if (dialect === 'sqlite') {
    const file = new DatabaseSync(':memory:')
    file.exec('PRAGMA foreign_keys = ON')
    const db = createSqliteDb(file)
    opened = { db, dispose: () => db.close() }
  } else {
    const database = await createTestPostgresDatabase('registry')
    const db = createPostgresDb(database.url)
    opened = { db, dispose: async () => { await db.close(); await database.drop() } }
  }
  if (opts.migrate ?? true) await migrateSql(opened.db).catch(async (err) => { await opened.dispose(); throw err })
  return opened
}
