// The rollup state's tables (rollups/rollup-state.ts), in both registry dialects. SQLite files
// of earlier releases are upgraded in place (PRAGMA user_version, as before); a PostgreSQL
// database gets the current tables at once and keeps its version in rollup_meta.
import type { SqlDb } from '../registry/db/sql-db.ts'

const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE dirty (
     station    TEXT NOT NULL,
     date       TEXT NOT NULL,
     marked_at  INTEGER NOT NULL,
     PRIMARY KEY (station, date)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE first_seen (
     worker   TEXT PRIMARY KEY,
     station  TEXT NOT NULL,
     at       INTEGER NOT NULL
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;`,
  // 2: per station, the settings its rollups were computed with (zone, capacity, opening
  // hours, as JSON): a station whose registry settings differ is recomputed
  // (rollups/station-changes.ts).
  `CREATE TABLE station_settings (
     station   TEXT PRIMARY KEY,
     settings  TEXT NOT NULL
   ) STRICT, WITHOUT ROWID;`,
  // 3: the names the tables have in a shared PostgreSQL registry, where a bare `meta` or
  // `dirty` would say nothing about whose they are.
  `ALTER TABLE dirty RENAME TO rollup_dirty;
   ALTER TABLE first_seen RENAME TO rollup_first_seen;
   ALTER TABLE meta RENAME TO rollup_meta;
   ALTER TABLE station_settings RENAME TO rollup_station_settings;`
]

// Integer ms as BIGINT: they do not fit postgres' 4-byte INTEGER.
const POSTGRES_SCHEMA = `
  CREATE TABLE IF NOT EXISTS rollup_dirty (
    station    TEXT NOT NULL,
    date       TEXT NOT NULL,
    marked_at  BIGINT NOT NULL,
    PRIMARY KEY (station, date)
  );
  CREATE TABLE IF NOT EXISTS rollup_first_seen (
    worker   TEXT PRIMARY KEY,
    station  TEXT NOT NULL,
    at       BIGINT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS rollup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS rollup_station_settings (
    station   TEXT PRIMARY KEY,
    settings  TEXT NOT NULL
  );`
const POSTGRES_VERSION = 1

export async function migrateRollupState (db: SqlDb): Promise<void> {
  if (db.dialect === 'postgres') return await migratePostgres(db)
  const row = await db.get<{ user_version: number }>('PRAGMA user_version')
  const current = row?.user_version ?? 0
  if (current > SQLITE_MIGRATIONS.length) {
    throw new Error(`rollup state schema version ${current} is newer than this release knows (${SQLITE_MIGRATIONS.length}); upgrade Waystation`)
  }
  for (let v = current; v < SQLITE_MIGRATIONS.length; v++) {
    await db.transaction(async (tx) => {
      await tx.exec(SQLITE_MIGRATIONS[v]!)
      await tx.exec(`PRAGMA user_version = ${v + 1}`)
    })
  }
}

async function migratePostgres (db: SqlDb): Promise<void> {
  await db.transaction(async (tx) => {
    // Nodes starting together: one creates the tables, the others wait for it (CREATE TABLE
    // IF NOT EXISTS alone can still collide on the catalog).
    await tx.get("SELECT pg_advisory_xact_lock(hashtext('waystation.rollup_state'))")
    await tx.exec(POSTGRES_SCHEMA)
    const row = await tx.get<{ value: string }>("SELECT value FROM rollup_meta WHERE key = 'schema_version'")
    const current = row ? Number(row.value) : 0
    if (current > POSTGRES_VERSION) {
      throw new Error(`rollup state schema version ${current} is newer than this release knows (${POSTGRES_VERSION}); upgrade Waystation`)
    }
    await tx.run("INSERT INTO rollup_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(POSTGRES_VERSION)])
  })
}
