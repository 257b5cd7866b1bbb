import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { startInfluxd, type InfluxServer } from '../scripts/influxd.ts'
import { startPostgres, type PostgresServer } from '../scripts/postgres-server.ts'

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

async function startPg (): Promise<string> {
  if (process.env.TEST_POSTGRES_URL) return process.env.TEST_POSTGRES_URL
  const dataDir = await mkdtemp(join(tmpdir(), 'waystation-test-pg-'))
  dataDirs.push(dataDir)
  // Not durable: no fsync for data nobody keeps (initdb -N, fsync=off).
  postgres = await startPostgres({ dataDir, durable: false, log: (line) => console.error(`[postgres] ${line}`) })
  return postgres.url
}

export async function setup (project: TestProject): Promise<void> {
  const [influxUrl, postgresUrl] = await Promise.all([startInflux(), startPg()])
  project.provide('influxUrl', influxUrl)
  project.provide('postgresUrl', postgresUrl)
}

export async function teardown (): Promise<void> {
  await Promise.all([influx?.stop(), postgres?.stop()])
  await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })))
}
