// The registry's migrations (registry/migrations.ts) applied to a SqlDb of either dialect: the
// same list, in the same order, counted the same way. SQLite keeps the count in PRAGMA
// user_version, as migrate() does; PostgreSQL, which has no such pragma, in registry_schema.
import { MIGRATIONS, newerSchemaError } from '../migrations.ts'
import { toPostgresDdl } from './postgres-ddl.ts'
import type { SqlDb } from './sql-db.ts'

/** The table that holds the schema version in PostgreSQL (one row). */
export const POSTGRES_SCHEMA_TABLE = 'registry_schema'

// Per-migration PostgreSQL text (1-based, as user_version counts), only where a statement has
// no mechanical translation. Released entries are never edited, like the migrations themselves.
export const POSTGRES_OVERRIDES: Readonly<Record<number, string>> = {
  // 4: services and the triggers that keep device and service ids disjoint. SQLite serialises
  // writers; here two transactions could each pass the check, so both triggers first take a
  // transaction lock on the id (the other insert waits, then its check sees the committed row).
  4: `CREATE TABLE services (
     id          TEXT PRIMARY KEY,
     name        TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     scope       TEXT NOT NULL,
     permission  TEXT NOT NULL CHECK (permission IN ('subscribe', 'subscribe+commands')),
     status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
     created_at  TEXT NOT NULL,
     updated_at  TEXT,
     rotated_at  TEXT,
     revoked_at  TEXT
   );
   CREATE FUNCTION services_id_not_a_device() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_advisory_xact_lock(hashtext('waystation principal id'), hashtext(NEW.id));
     IF EXISTS (SELECT 1 FROM devices WHERE id = NEW.id) THEN RAISE EXCEPTION 'id in use by a device'; END IF;
     RETURN NEW;
   END $$;
   CREATE TRIGGER services_id_not_a_device BEFORE INSERT ON services FOR EACH ROW EXECUTE FUNCTION services_id_not_a_device();
   CREATE FUNCTION devices_id_not_a_service() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_advisory_xact_lock(hashtext('waystation principal id'), hashtext(NEW.id));
     IF EXISTS (SELECT 1 FROM services WHERE id = NEW.id) THEN RAISE EXCEPTION 'id in use by a service'; END IF;
     RETURN NEW;
   END $$;
   CREATE TRIGGER devices_id_not_a_service BEFORE INSERT ON devices FOR EACH ROW EXECUTE FUNCTION devices_id_not_a_service();
   ALTER TABLE credential_changes ADD COLUMN service_id TEXT;`
}

/** Migration `version` (1-based) as PostgreSQL runs it. */
export function postgresMigration (version: number): string {
  return POSTGRES_OVERRIDES[version] ?? toPostgresDdl(MIGRATIONS[version - 1]!)
}

// Any constant will do: it only has to be the same in every process migrating this database.
const MIGRATION_LOCK = 0x7761_7973 // 'ways'

/** Brings the registry's schema up to date; refuses one newer than this release knows. */
export async function migrateSql (db: SqlDb): Promise<void> {
  if (db.dialect === 'sqlite') return migrateSqlite(db)
  // One transaction for all of it (postgres DDL is transactional): a failure leaves the schema
  // as it was. The lock makes a second process starting at the same time wait, then find
  // nothing left to do.
  await db.transaction(async (tx) => {
    await tx.get('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK])
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${POSTGRES_SCHEMA_TABLE} (
      one     BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
      version BIGINT NOT NULL
    )`)
    const current = (await tx.get<{ version: number }>(`SELECT version FROM ${POSTGRES_SCHEMA_TABLE}`))?.version ?? 0
    if (current > MIGRATIONS.length) throw newerSchemaError(current)
    for (let v = current + 1; v <= MIGRATIONS.length; v++) await tx.exec(postgresMigration(v))
    if (current < MIGRATIONS.length) {
      await tx.run(`INSERT INTO ${POSTGRES_SCHEMA_TABLE} (version) VALUES (?) ON CONFLICT (one) DO UPDATE SET version = excluded.version`, [MIGRATIONS.length])
    }
  })
}

// As migrate() in registry/migrations.ts: one transaction per migration. The version is read
// again inside each (BEGIN IMMEDIATE holds the write lock), so a second process migrating the
// same file at once skips what the first has done.
async function migrateSqlite (db: SqlDb): Promise<void> {
  const version = async (on: SqlDb) => (await on.get<{ user_version: number }>('PRAGMA user_version'))!.user_version
  const start = await version(db)
  if (start > MIGRATIONS.length) throw newerSchemaError(start)
  for (let v = start; v < MIGRATIONS.length; v++) {
    await db.transaction(async (tx) => {
      const current = await version(tx)
      if (current > MIGRATIONS.length) throw newerSchemaError(current)
      if (current !== v) return
      await tx.exec(MIGRATIONS[v]!)
      await tx.exec(`PRAGMA user_version = ${v + 1}`)
    })
  }
}
