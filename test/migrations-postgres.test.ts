// The registry's migrations (registry/migrations.ts) on both dialects: SQLite as written,
// PostgreSQL translated (registry/db/postgres-ddl.ts, overrides in registry/db/migrate-sql.ts).
import { DatabaseSync } from 'node:sqlite'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { migrateSql, POSTGRES_SCHEMA_TABLE } from '../registry/db/migrate-sql.ts'
import { createPostgresDb } from '../registry/db/pg-db.ts'
import { toPostgresDdl } from '../registry/db/postgres-ddl.ts'
import type { SqlDb } from '../registry/db/sql-db.ts'
import { createSqliteDb } from '../registry/db/sqlite-db.ts'
import { MIGRATIONS, migrate } from '../registry/migrations.ts'
import { createTestPostgresDatabase, type TestPostgresDatabase } from './support/postgres.ts'
import { schemaShape } from './support/schema-snapshot.ts'
import { openTestSqlDb, SQL_DIALECTS } from './support/sql-dbs.ts'

const databases: TestPostgresDatabase[] = []
const opened: SqlDb[] = []
let counter = 0
async function freshPostgres (): Promise<SqlDb> {
  const database = await createTestPostgresDatabase(`migrations_${counter++}`)
  databases.push(database)
  const db = createPostgresDb(database.url)
  opened.push(db)
  return db
}
const freshSqlite = () => createSqliteDb(new DatabaseSync(':memory:'))
afterAll(async () => {
  await Promise.all(opened.map((db) => db.close()))
  await Promise.all(databases.map((d) => d.drop()))
})

let sqlite: SqlDb
let postgres: SqlDb
beforeAll(async () => {
  sqlite = freshSqlite()
  postgres = await freshPostgres()
  await migrateSql(sqlite)
  await migrateSql(postgres)
})

test('a fresh SQLite file and a fresh PostgreSQL database get the same tables, columns, keys and indexes', async () => {
  const lite = await schemaShape(sqlite)
  const pg = await schemaShape(postgres, [POSTGRES_SCHEMA_TABLE])
  expect(Object.keys(pg)).toEqual(Object.keys(lite))
  for (const table of Object.keys(lite)) expect(pg[table], table).toEqual(lite[table])
  // The comparison is not vacuous: ids are identity columns, times and counters 64-bit.
  expect(lite.alerts!.primaryKey).toEqual(['id'])
  expect(lite.alerts!.indexes).toContainEqual({ name: 'alerts_one_open', columns: ['station_id', 'rule', 'subject'], unique: true, where: "state <> 'resolved'" })
  expect(lite.notifications!.indexes).toContainEqual({ name: null, columns: ['webhook_id', 'idempotency_key'], unique: true, where: null })
  expect(await postgres.get("SELECT data_type AS t, is_identity AS i FROM information_schema.columns WHERE table_name = 'alerts' AND column_name = 'id'")).toEqual({ t: 'bigint', i: 'YES' })
  expect(await postgres.get("SELECT data_type AS t FROM information_schema.columns WHERE table_name = 'alert_hourly_entries' AND column_name = 'hour'")).toEqual({ t: 'bigint' })
})

test('the synchronous migrate() and migrateSql() give SQLite the same schema and version', async () => {
  const file = new DatabaseSync(':memory:')
  migrate(file)
  const db = createSqliteDb(file)
  expect(await schemaShape(db)).toEqual(await schemaShape(sqlite))
  expect(await db.get('PRAGMA user_version')).toEqual({ user_version: MIGRATIONS.length })
  await migrateSql(db) // migrate() then migrateSql(): nothing left to do
  expect(await db.get('PRAGMA user_version')).toEqual({ user_version: MIGRATIONS.length })
})

test('migrating twice changes nothing', async () => {
  for (const db of [sqlite, postgres]) {
    const before = await schemaShape(db)
    await migrateSql(db)
    expect(await schemaShape(db)).toEqual(before)
  }
  expect(await postgres.all(`SELECT version FROM ${POSTGRES_SCHEMA_TABLE}`)).toEqual([{ version: MIGRATIONS.length }])
})

test('two processes migrating one PostgreSQL database at once: one does it, the other waits and finds it done', async () => {
  const first = await freshPostgres()
  const url = databases.at(-1)!.url
  const second = createPostgresDb(url)
  opened.push(second)
  await Promise.all([migrateSql(first), migrateSql(second)])
  expect(await first.all(`SELECT version FROM ${POSTGRES_SCHEMA_TABLE}`)).toEqual([{ version: MIGRATIONS.length }])
})

test('a schema newer than this release is refused with the same message on both', async () => {
  const expected = `registry schema version ${MIGRATIONS.length + 1} is newer than this release knows (${MIGRATIONS.length}); upgrade Waystation`
  const lite = freshSqlite()
  await lite.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`)
  await expect(migrateSql(lite)).rejects.toThrow(expected)
  const file = new DatabaseSync(':memory:')
  file.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`)
  expect(() => migrate(file)).toThrow(expected)
  const pg = await freshPostgres()
  await migrateSql(pg)
  await pg.run(`UPDATE ${POSTGRES_SCHEMA_TABLE} SET version = ?`, [MIGRATIONS.length + 1])
  await expect(migrateSql(pg)).rejects.toThrow(expected)
})

test('a failing migration leaves a PostgreSQL database as it was', async () => {
  const pg = await freshPostgres()
  await pg.exec('CREATE TABLE stations (id TEXT PRIMARY KEY)') // migration 1 will collide with it
  await expect(migrateSql(pg)).rejects.toThrow(/relation "stations" already exists/)
  expect(await pg.get(`SELECT to_regclass('${POSTGRES_SCHEMA_TABLE}') AS t, to_regclass('devices') AS d`)).toEqual({ t: null, d: null })
})

test('device and service ids stay disjoint in PostgreSQL too (the override of migration 4)', async () => {
  const at = new Date().toISOString()
  await postgres.run('INSERT INTO stations (id, name, created_at) VALUES (?, ?, ?)', ['st-1', 'One', at])
  await postgres.run('INSERT INTO devices (id, station_id, secret_hash, created_at) VALUES (?, ?, ?, ?)', ['dev-1', 'st-1', 'h', at])
  await postgres.run('INSERT INTO services (id, name, secret_hash, scope, permission, created_at) VALUES (?, ?, ?, ?, ?, ?)', ['svc-1', 'S', 'h', '{}', 'subscribe', at])
  await expect(postgres.run('INSERT INTO services (id, name, secret_hash, scope, permission, created_at) VALUES (?, ?, ?, ?, ?, ?)', ['dev-1', 'S', 'h', '{}', 'subscribe', at]))
    .rejects.toThrow('id in use by a device')
  await expect(postgres.run('INSERT INTO devices (id, station_id, secret_hash, created_at) VALUES (?, ?, ?, ?)', ['svc-1', 'st-1', 'h', at]))
    .rejects.toThrow('id in use by a service')
  // CHECK and REFERENCES hold as in SQLite (which runs with foreign_keys = ON).
  await expect(postgres.run('INSERT INTO devices (id, station_id, secret_hash, created_at, kind) VALUES (?, ?, ?, ?, ?)', ['dev-2', 'st-1', 'h', at, 'toaster'])).rejects.toThrow(/check constraint/)
  await expect(postgres.run('INSERT INTO devices (id, station_id, secret_hash, created_at) VALUES (?, ?, ?, ?)', ['dev-3', 'nowhere', 'h', at])).rejects.toThrow(/foreign key constraint/)
  const id = await postgres.get<{ id: number }>("INSERT INTO audit_log (at, actor, action, target) VALUES (?, 'a', 'b', 'c') RETURNING id", [at])
  expect(id).toEqual({ id: 1 })
})

test('a device and a service inserted with one id at the same time: the second waits for the first, then is refused', async () => {
  const at = new Date().toISOString()
  await postgres.run('INSERT INTO stations (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', ['st-1', 'One', at])
  let release!: () => void
  const held = new Promise<void>((resolve) => { release = resolve })
  const device = postgres.transaction(async (tx) => {
    await tx.run('INSERT INTO devices (id, station_id, secret_hash, created_at) VALUES (?, ?, ?, ?)', ['both', 'st-1', 'h', at])
    await held // still uncommitted while the service insert runs
  })
  const service = postgres.run('INSERT INTO services (id, name, secret_hash, scope, permission, created_at) VALUES (?, ?, ?, ?, ?, ?)', ['both', 'S', 'h', '{}', 'subscribe', at])
  // Commit the device only once the service insert waits for the id's lock: without the lock its
  // check would find no committed device and both would be inserted.
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const waiting = await postgres.get<{ n: number }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
    if (waiting!.n > 0) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  release()
  await device
  await expect(service).rejects.toThrow('id in use by a device')
  expect(await postgres.all("SELECT id FROM services WHERE id = 'both'")).toEqual([])
})

test('toPostgresDdl translates the subset and refuses the rest by name', () => {
  expect(toPostgresDdl(`CREATE TABLE a (
     id INTEGER PRIMARY KEY AUTOINCREMENT, n integer NOT NULL DEFAULT 0, x REAL, b BLOB,
     note TEXT NOT NULL DEFAULT 'INTEGER REAL STRICT', "REAL" TEXT -- INTEGER
   ) STRICT;
   CREATE UNIQUE INDEX a_n ON a(n) WHERE x > 0;`)).toBe(`CREATE TABLE a (
     id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0, x DOUBLE PRECISION, b BYTEA,
     note TEXT NOT NULL DEFAULT 'INTEGER REAL STRICT', "REAL" TEXT -- INTEGER
   );
   CREATE UNIQUE INDEX a_n ON a(n) WHERE x > 0;`)
  expect(toPostgresDdl('ALTER TABLE t ADD COLUMN c INTEGER NOT NULL DEFAULT 1 CHECK (c IN (0, 1));')).toBe('ALTER TABLE t ADD COLUMN c BIGINT NOT NULL DEFAULT 1 CHECK (c IN (0, 1));')
  for (const [sql, what] of [
    ['PRAGMA foreign_keys = OFF', 'PRAGMA'],
    ['CREATE TRIGGER x BEFORE INSERT ON t BEGIN SELECT 1; END', 'CREATE TRIGGER'],
    ['CREATE TABLE t (id INTEGER) WITHOUT ROWID', 'WITHOUT ROWID'],
    ['INSERT OR IGNORE INTO t VALUES (1)', 'INSERT OR'],
    ["UPDATE t SET at = datetime('now')", 'datetime('],
    ['CREATE TABLE t (id TEXT PRIMARY KEY AUTOINCREMENT)', 'AUTOINCREMENT']
  ]) expect(() => toPostgresDdl(sql!), sql).toThrow(`no mechanical PostgreSQL translation for "${what}"`)
  // What is only inside a literal is not refused.
  expect(toPostgresDdl("INSERT INTO t VALUES ('PRAGMA datetime(')")).toBe("INSERT INTO t VALUES ('PRAGMA datetime(')")
})

test.each(SQL_DIALECTS)('openTestSqlDb(%s) gives a migrated registry database of its own', async (dialect) => {
  const a = await openTestSqlDb(dialect)
  const b = await openTestSqlDb(dialect)
  try {
    expect(a.db.dialect).toBe(dialect)
    await a.db.run("INSERT INTO stations (id, name, created_at) VALUES ('only-in-a', 'A', ?)", [new Date().toISOString()])
    expect(await b.db.all('SELECT id FROM stations')).toEqual([])
    // Foreign keys hold in both (openRegistry turns them on for SQLite).
    await expect(a.db.run("INSERT INTO devices (id, station_id, secret_hash, created_at) VALUES ('d', 'nowhere', 'h', 'now')")).rejects.toThrow(/FOREIGN KEY|foreign key/)
  } finally {
    await a.dispose()
    await b.dispose()
  }
})
