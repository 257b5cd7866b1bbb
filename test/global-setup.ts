import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { startInfluxd, type InfluxServer } from '../scripts/influxd.ts'
import { startPostgres, type PostgresServer } from '../scripts/postgres-server.ts'
import { probePort } from '../scripts/system.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    influxUrl: string
    /** A role with CREATEDB on a private PostgreSQL; test/support/postgres.ts gives each test its own database. */
    postgresUrl: string
  }
}

// One real influxd and one real PostgreSQL for the whole run (throw-away data dirs, free
// ports), started side by side; each test file gets its own databases. TEST_INFLUX_URL and
// TEST_POSTGRES_URL (a role that may CREATE DATABASE) point the suite at existing servers.
let influx: InfluxServer | undefined
let postgres: PostgresServer | undefined
const dataDirs: string[] = []

async function startInflux (): Promise<string> {
  if (process.env.TEST_INFLUX_URL) return process.env.TEST_INFLUX_URL
  const dataDir = await mkdtemp(join(tmpdir(), 'waystation-test-influx-'))
  dataDirs.push(dataDir)
  influx = await startInfluxd({ dataDir, log: (line) => console.error(`[influxd] ${line}`) })
  return influx.url
}

// PostgreSQL takes 2-4 s to initdb and start on this machine, and most test files never use
// it: it starts in the background with its port and password chosen here, so the URL is known
// at once and the run does not wait for it. test/support/postgres.ts waits for it to answer.
let postgresStart: Promise<PostgresServer> | undefined
const postgresAbort = new AbortController()

async function startPg (): Promise<string> {
  if (process.env.TEST_POSTGRES_URL) return process.env.TEST_POSTGRES_URL
  const dataDir = await mkdtemp(join(tmpdir(), 'waystation-test-pg-'))
  dataDirs.push(dataDir)
  const password = randomBytes(18).toString('base64url')
  await writeFile(join(dataDir, 'password'), `${password}\n`, { mode: 0o600 }) // startPostgres uses it
  const port = await probePort(0)
  // Not durable: no fsync for data nobody keeps (initdb -N, fsync=off).
  postgresStart = startPostgres({ dataDir, port, durable: false, signal: postgresAbort.signal, log: (line) => console.error(`[postgres] ${line}`) })
  postgresStart.then((s) => { postgres = s }, (err: Error) => {
    if (!postgresAbort.signal.aborted) console.error(`[postgres] the test run's PostgreSQL did not start: ${err.message}`)
  })
  return `postgres://waystation:${password}@127.0.0.1:${port}/waystation`
}

export async function setup (project: TestProject): Promise<void> {
  const [influxUrl, postgresUrl] = await Promise.all([startInflux(), startPg()])
  project.provide('influxUrl', influxUrl)
  project.provide('postgresUrl', postgresUrl)
}

export async function teardown (): Promise<void> {
  // A run that never needed it may end before it is up: give the start up rather than wait.
  postgresAbort.abort()
  await postgresStart?.catch(() => {})
  await Promise.all([influx?.stop(), postgres?.stop()])
  // Retries: a killed initdb's bootstrap backend may still be leaving the directory.
  await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true, maxRetries: 5 })))
}
