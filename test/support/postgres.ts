// A database of its own on the run's PostgreSQL (test/global-setup.ts), dropped afterwards:
// test files run in parallel and must not see each other's tables.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'

export type TestPostgresDatabase = { url: string, name: string, drop (): Promise<void> }

async function admin<T> (fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('postgresUrl'), connectionTimeoutMillis: 10_000 })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** CREATE DATABASE test_<random> (C collation, as the private server's); drop() removes it, also with clients still connected. */
export async function createTestPostgresDatabase (prefix = 'test'): Promise<TestPostgresDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_')
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`))
  const url = new URL(inject('postgresUrl'))
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    drop: () => admin(async (c) => { await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) })
  }
}
