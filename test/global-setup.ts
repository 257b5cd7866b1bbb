import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { startInfluxd, type InfluxServer } from '../scripts/influxd.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    influxUrl: string
  }
}

// One real influxd for the whole run (throw-away data dir, free ports); each test file gets
// its own database. INFLUX_URL points the suite at an existing server instead.
let server: InfluxServer | undefined
let dataDir: string | undefined

export async function setup (project: TestProject): Promise<void> {
  let url = process.env.TEST_INFLUX_URL
  if (!url) {
    dataDir = await mkdtemp(join(tmpdir(), 'waystation-test-influx-'))
    server = await startInfluxd({ dataDir, log: (line) => console.error(`[influxd] ${line}`) })
    url = server.url
  }
  project.provide('influxUrl', url)
}

export async function teardown (): Promise<void> {
  await server?.stop()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
}
