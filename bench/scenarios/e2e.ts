import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fleetSpec } from '../../simulators/fleet-spec.ts'
import { writeCredentials } from '../../simulators/provision.ts'
import { buildBenchRegistry } from '../lib/bench-registry.ts'
import { summarizeCpuProfile, type ProfileSummary } from '../lib/cpuprofile.ts'
import { countPoints, startBenchInflux } from '../lib/influx.ts'
import { sampler, stop, type Usage } from '../lib/proc.ts'
import { startLoader, startWaystation, type LoadSummary } from '../lib/systems.ts'

// Waystation end to end: a realistic fleet backfills history into `waystation start` as fast
// as PUBACKs come back, for a bounded time. Every acknowledged event must then be in InfluxDB:
// the stored count is checked, not assumed.

export type Ctx = { dir: string, seed: string, log: (line: string) => void }

export type E2EResult = {
  label: string
  stations: number
  seconds: number
  offeredRate?: number
  acked: number
  stored: number
  ackedPerSec: number
  storedPerSec: number
  latencyMs: LoadSummary['latencyMs']
  failed: number
  reconnects: number
  usage: Usage[]
  profile?: ProfileSummary
}

export async function runE2E (ctx: Ctx, opts: { label: string, stations: number, seconds: number, rate?: number, maxInFlight?: number, cpuProf?: boolean, env?: Record<string, string> }): Promise<E2EResult> {
  const dir = join(ctx.dir, `e2e-${opts.label}`)
  mkdirSync(dir, { recursive: true })
  const stations = fleetSpec({ stations: opts.stations, seed: ctx.seed })
  const registryPath = join(dir, 'registry.sqlite')
  const credentialsPath = join(dir, 'credentials.json')
  writeCredentials(credentialsPath, await buildBenchRegistry(registryPath, stations))
  const influx = await startBenchInflux(() => {})
  const profDir = opts.cpuProf === true ? join(dir, 'cpuprof') : undefined
  const db = 'bench'
  const stack = await startWaystation({ dir, influxUrl: influx.url, db, registryPath, ...(profDir === undefined ? {} : { cpuProfDir: profDir }), ...(opts.env === undefined ? {} : { env: opts.env }) })
  try {
    ctx.log(`  ${opts.label}: ${opts.stations} stations connecting…`)
    const loader = startLoader({ dir, url: stack.mqttUrl, credentials: credentialsPath, stations: opts.stations, seed: ctx.seed, seconds: opts.seconds, ...(opts.rate === undefined ? {} : { rate: opts.rate }), ...(opts.maxInFlight === undefined ? {} : { maxInFlight: opts.maxInFlight }) })
    ctx.log(`  ${opts.label}: ${(await loader.connected).replace(/^connect /, '')}; sending for ${opts.seconds} s`)
    const s = sampler([{ name: 'waystation', pid: stack.proc.pid }, { name: 'influxd', pid: influx.pid }, { name: 'load generator', pid: loader.proc.pid }])
    s.start()
    const summary = await loader.done
    const usage = s.stop()
    const { total: stored } = await countPoints(influx.url, db)
    // Status messages (online/offline) are stored too but are not events of the day model.
    const acked = summary.totals.acked
    const secs = summary.elapsedMs / 1000
    const result: E2EResult = {
      label: opts.label,
      stations: opts.stations,
      seconds: secs,
      acked,
      stored,
      ackedPerSec: acked / secs,
      storedPerSec: stored / secs,
      latencyMs: summary.latencyMs,
      failed: summary.totals.failed,
      reconnects: summary.counters.reconnects,
      usage,
      ...(opts.rate === undefined ? {} : { offeredRate: opts.rate })
    }
    ctx.log(`  ${opts.label}: ${acked} acked, ${stored} stored in ${secs.toFixed(1)} s = ${result.ackedPerSec.toFixed(0)}/s, PUBACK p50 ${summary.latencyMs.p50} ms p99 ${summary.latencyMs.p99} ms`)
    if (stored < acked) ctx.log(`  ${opts.label}: WARNING ${acked - stored} acknowledged events are not in InfluxDB`)
    await stack.stop()
    if (profDir !== undefined) {
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
      if (file !== undefined) result.profile = summarizeCpuProfile(join(profDir, file))
    }
    return result
  } finally {
    await stop(stack.proc)
    await influx.stop()
  }
}
