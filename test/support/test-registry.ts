// The registry a test works on: the embedded SQLite registry in memory, or, when the test run
// is the registry suite's PostgreSQL pass (vitest.config.ts: project "registry on postgres",
// TEST_REGISTRY_DIALECT=postgres), a registry in a database of its own on the run's PostgreSQL,
// dropped when the registry is closed. Tests that hold a registry of their own open it here,
// so one test file checks both (issue 15: the registry suite on SQLite and PostgreSQL).
import { randomBytes } from 'node:crypto'
import { openPostgresRegistry, openRegistry, type Registry, type RegistryOptions } from '../../registry/open-registry.ts'
import { createTestPostgresDatabase } from './postgres.ts'
import type { SqlDialect } from './sql-dbs.ts'

/** The dialect of this test run's registries. */
export const TEST_REGISTRY_DIALECT: SqlDialect = process.env.TEST_REGISTRY_DIALECT === 'postgres' ? 'postgres' : 'sqlite'

/**
 * A fresh, migrated, empty registry of the run's dialect (or the one asked for). close()
 * also drops the PostgreSQL database.
 */
export async function openTestRegistry (opts: RegistryOptions & { dialect?: SqlDialect } = {}): Promise<Registry> {
  const { dialect = TEST_REGISTRY_DIALECT, ...options } = opts
  if (dialect === 'sqlite') return openRegistry(':memory:', options)
  const database = await createTestPostgresDatabase('registry')
  // As an in-memory SQLite registry: a random key of its own unless one is given.
  const keyed = options.credentialKey === undefined && options.credentialKeyFile === undefined ? { credentialKey: randomBytes(32).toString('base64') } : options
  const registry = await openPostgresRegistry(database.url, keyed).catch(async (err) => { await database.drop(); throw err })
  const close = registry.close
  return { ...registry, close: async () => { await close(); await database.drop() } }
}
