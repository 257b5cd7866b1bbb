// Opens the registry on the database the configuration names: the embedded SQLite file
// (REGISTRY_PATH, the default) or PostgreSQL (REGISTRY_URL, for nodes on several machines:
// issue 15). Both run the same migrations and the same stores (registry/build-registry.ts).
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { registryOptions, type Config } from '../platform/config.ts'
import { buildRegistry, type Registry } from './build-registry.ts'
import { postgresChangeToken, sqliteChangeToken } from './change-token.ts'
import { defaultCredentialKeyFile, loadCredentialKey } from './credential-key.ts'
import { migrateSql } from './db/migrate-sql.ts'
import { createPostgresDb, type PostgresDbConfig } from './db/pg-db.ts'
import { createSqliteDb } from './db/sqlite-db.ts'
import { migrate } from './migrations.ts'
import { credentialKey, generateSecret } from './secrets.ts'

export { RegistryError } from './registry-error.ts'
export type { CredentialChange, Principal, Registry } from './build-registry.ts'

/**
 * Where the key of the credential hashes comes from (registry/credential-key.ts): the key
 * itself (CREDENTIAL_KEY), or a file, default `credential.key` beside the registry. An
 * in-memory registry without either gets a random key of its own.
 */
export type RegistryOptions = { credentialKey?: string, credentialKeyFile?: string }

/**
 * The station registry: stations, device and service credentials, API tokens, presence,
 * alerts, supplies and the audit log in one SQLite file (`:memory:` for tests). Changes that
 * need an audit record go through registry/admin.ts, which CLI and admin API share.
 */
export function openRegistry (path: string, opts: RegistryOptions = {}): Registry {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const loaded = path === ':memory:' && opts.credentialKey === undefined && opts.credentialKeyFile === undefined
    ? { key: credentialKey(Buffer.from(generateSecret(), 'base64url')), source: 'random (in-memory registry)', created: true }
    : loadCredentialKey({ key: opts.credentialKey, file: opts.credentialKeyFile ?? defaultCredentialKeyFile(path) })
  const db = new DatabaseSync(path)
  // WAL lets the API read while the CLI writes; busy_timeout rides over a concurrent writer.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON')
  migrate(db)
  const sql = createSqliteDb(db)
  return buildRegistry({ db: sql, loaded, changeToken: sqliteChangeToken(db), close: () => sql.close() })
}

/**
 * The registry in a PostgreSQL database (empty or migrated; UTF8 with C collation: see
 * docs/scaling.md#registry-on-postgresql). The credential key must be given (a key or a file):
 * the database is shared by nodes that must all hash with the same one.
 */
export async function openPostgresRegistry (config: PostgresDbConfig, opts: RegistryOptions): Promise<Registry> {
  if (opts.credentialKey === undefined && opts.credentialKeyFile === undefined) {
    throw new Error('a PostgreSQL registry needs its credential key: CREDENTIAL_KEY or CREDENTIAL_KEY_FILE')
  }
  const loaded = loadCredentialKey({ key: opts.credentialKey, file: opts.credentialKeyFile! })
  const db = createPostgresDb(config)
  try {
    // Under an advisory lock: nodes starting together migrate once (registry/db/migrate-sql.ts).
    await migrateSql(db)
  } catch (err) {
    await db.close()
    throw err
  }
  return buildRegistry({ db, loaded, changeToken: postgresChangeToken(db), close: () => db.close() })
}

/** The registry the configuration names: PostgreSQL with REGISTRY_URL, else the SQLite file. */
export function openConfiguredRegistry (config: Config): Promise<Registry> {
  return config.REGISTRY_URL
    ? openPostgresRegistry(config.REGISTRY_URL, registryOptions(config))
    : Promise.resolve(openRegistry(config.REGISTRY_PATH, registryOptions(config)))
}
