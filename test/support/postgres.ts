// A database of its own on the run's PostgreSQL (test/global-setup.ts), dropped afterwards:
// test files run in parallel and must not see each other's tables.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'

export type TestPostgresDatabase = { url: string, name: string, drop (): Promise<void> }

// The run's server starts in the background (test/global-setup.ts): until it is up, and its
// role and database exist, a connection is refused; keep trying for as long as a start may take.
const READY_WITHIN_MS = 90_000

async function connect (): Promise<pg.Client> {
  const deadline = Date.now() + READY_WITHIN_MS
  for (;;) {
    const client = new pg.Client({ connectionString: inject('postgresUrl'), connectionTimeoutMillis: 10_000 })
    try {
      await client.connect()
      return client
    } catch (err) {
      await client.end().catch(() => {})
      if (Date.now() > deadline) throw new Error(`the test run's PostgreSQL did not accept connections within ${READY_WITHIN_MS / 1000} s (see the [postgres] lines of the run's output): ${(err as Error).message}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

async function admin<T> (fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect()
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
