import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, NODE, ROOT, start, stop, waitForLine, waitForPort, type Proc } from './proc.ts'

// The processes a scenario starts: Waystation itself (`waystation start`, as deployed), and the
// fleet simulator as load generator (`simulators/main.ts`).

export type Waystation = { proc: Proc, mqttUrl: string, apiUrl: string, stop (): Promise<void> }

export async function startWaystation (opts: {
  dir: string
  influxUrl: string
  db: string
  registryPath: string
  /** Write a V8 CPU profile of the stack into this directory when it exits. */
  cpuProfDir?: string
  env?: Record<string, string>
  /** `start --workers N` (default 1: one process); with N > 1 it resolves once every worker is ready (needs LOG_LEVEL=info). */
  workers?: number
  /** Another checkout to run (an earlier commit, for a before/after in one run); default: this one. */
  root?: string
}): Promise<Waystation> {
  const mqttPort = await freePort()
  const apiPort = await freePort()
  // The flags `npm start` runs it with (scripts/bootstrap.mjs).
  const args = ['--max-semi-space-size=32', ...(opts.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`]), join(opts.root ?? ROOT, 'bin/waystation.ts'), 'start', '--workers', String(opts.workers ?? 1)]
  const proc = start('waystation', NODE, args, {
    log: join(opts.dir, 'waystation.log'),
    env: {
      LOG_LEVEL: 'warn',
      DATA_DIR: opts.dir,
      REGISTRY_PATH: opts.registryPath,
      INFLUX_URL: opts.influxUrl,
      INFLUX_DB: opts.db,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      // Every simulated station connects from 127.0.0.1: the per-address connection rate
      // limit protects against one abusive address, not a load generator.
      MQTT_CONNECTS_PER_WINDOW: '1000000',
      MQTT_MAX_CONNECTIONS: '30000',
      ...opts.env
    }
  })
  await waitForPort(mqttPort, proc)
  await waitForPort(apiPort, proc)
  if ((opts.workers ?? 1) > 1) await waitForLine(proc, /"msg":"all workers ready"/, 300_000)
  return { proc, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, apiUrl: `http://127.0.0.1:${apiPort}`, stop: () => stop(proc, 30_000) }
}

export type LoadSummary = {
  stations: number
  elapsedMs: number
  totals: { sent: number, acked: number, failed: number }
  counters: { status: { sent: number, acked: number }, duplicates: { sent: number }, reconnects: number }
  latencyMs: { count: number, p50: number, p90: number, p99: number, max: number }
}

export type Loader = { proc: Proc, connected: Promise<string>, done: Promise<LoadSummary> }

/**
 * The fleet simulator as a load generator: connects `stations` stations (one hub each), then
 * backfills history as fast as the broker acknowledges (or at `rate` events/s) for
 * `seconds`, and reports what was acknowledged and the PUBACK latencies.
 */
export function startLoader (opts: {
  dir: string
  name?: string
  url: string
  credentials: string
  stations: number
  seed: string
  seconds: number
  rate?: number
  maxInFlight?: number
  channels?: string
}): Loader {
  const name = opts.name ?? 'loader'
  const summary = join(opts.dir, `${name}-summary.json`)
  const args = [join(ROOT, 'simulators/main.ts'), '--no-provision', '--no-truth',
    '--credentials', opts.credentials, '--url', opts.url, '--stations', String(opts.stations), '--seed', opts.seed,
    // A week of March history from a Monday 11:00 Shanghai time: a bounded run covers the
    // lunch peak, the busiest mix of door, occupancy and equipment messages.
    '--days', '7', '--until', '2026-03-09T11:00:00+08:00', '--time-limit', `${opts.seconds}s`,
    '--max-in-flight', String(opts.maxInFlight ?? 2000), '--summary-json', summary,
    ...(opts.rate === undefined ? [] : ['--rate', String(Math.round(opts.rate))]),
    ...(opts.channels === undefined ? [] : ['--channels', opts.channels])]
  const proc = start(name, NODE, args, { log: join(opts.dir, `${name}.log`), env: { LOG_LEVEL: 'warn', DATA_DIR: opts.dir } })
  // Ready once connected and the first day of every station is planned: sending starts then.
  const connected = waitForLine(proc, /^plan first day of/, 900_000).then(() => waitForLine(proc, /stations connected in/))
  const done = proc.exited.then(() => JSON.parse(readFileSync(summary, 'utf8')) as LoadSummary)
  return { proc, connected, done }
}
