import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import mqtt from 'mqtt'
import { openRegistry } from '../../registry/open-registry.ts'
import { fleetSpec } from '../../simulators/fleet-spec.ts'
import { provisionFleet, writeCredentials } from '../../simulators/provision.ts'
import { buildBenchRegistry } from '../lib/bench-registry.ts'
import { startBenchInflux } from '../lib/influx.ts'
import { freePort, NODE, procStat, ROOT, sampler, start, stop, waitForLine, waitForPort, type Proc, type Usage } from '../lib/proc.ts'
import { startWaystation } from '../lib/systems.ts'
import type { Ctx } from './e2e.ts'

// Many connected stations: broker memory per connection and CPU with N stations idle (MQTT
// keepalive only) and then sending their live traffic at `speed` × real time. Waystation and,
// for reference, bare Aedes. Plus what a cold connection costs with the registry's own
// credential hashing: what a fleet reconnecting after a broker restart waits for.

export type ConnectionsResult = {
  system: string
  stations: number
  connectSeconds: number
  rssBeforeMB: number
  rssConnectedMB: number
  kbPerConnection: number
  idle: Usage
  active?: Usage & { eventsPerSec: number, speed: number, p50: number, p99: number, failed: number }
}

export async function runConnections (ctx: Ctx, opts: { system: 'waystation' | 'aedes', stations: number, idleSeconds: number, activeSeconds: number, speed: number }): Promise<ConnectionsResult> {
  const dir = join(ctx.dir, `connections-${opts.system}-${opts.stations}`)
  mkdirSync(dir, { recursive: true })
  const registryPath = join(dir, 'registry.sqlite')
  const credentialsPath = join(dir, 'credentials.json')
  writeCredentials(credentialsPath, await buildBenchRegistry(registryPath, fleetSpec({ stations: opts.stations, seed: ctx.seed })))
  const influx = opts.system === 'waystation' ? await startBenchInflux(() => {}) : undefined
  let broker: Proc
  let url: string
  let stopBroker: () => Promise<void>
  if (opts.system === 'waystation') {
    const w = await startWaystation({ dir, influxUrl: influx!.url, db: 'bench', registryPath })
    broker = w.proc
    url = w.mqttUrl
    stopBroker = w.stop
  } else {
    const port = await freePort()
    broker = start('aedes', NODE, [join(ROOT, 'bench/procs/aedes-bare.ts'), String(port)], { log: join(dir, 'aedes.log') })
    await waitForPort(port, broker)
    url = `mqtt://127.0.0.1:${port}`
    stopBroker = () => stop(broker)
  }
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const before = procStat(broker.pid)!.rssBytes
    const summary = join(dir, 'summary.json')
    const loader = start('connections', NODE, [join(ROOT, 'bench/procs/connections-loader.ts'), '--url', url, '--credentials', credentialsPath, '--stations', String(opts.stations), '--idle', String(opts.idleSeconds), '--active', String(opts.activeSeconds), '--speed', String(opts.speed), '--summary', summary], { log: join(dir, 'loader.log') })
    const line = await waitForLine(loader, /^connected \d+ in/, 900_000)
    const connectSeconds = Number(/in (\d+) ms/.exec(line)?.[1] ?? 0) / 1000
    ctx.log(`  ${opts.system}: ${opts.stations} stations connected in ${connectSeconds.toFixed(1)} s`)
    // Let the connection burst settle (presence writes, GC) before reading memory.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const idleSampler = sampler([{ name: opts.system, pid: broker.pid }])
    idleSampler.start()
    await waitForLine(loader, /^idle done/, 900_000)
    const idle = idleSampler.stop()[0]!
    const connected = idle.rssEndMB * 2 ** 20
    const activeSampler = sampler([{ name: opts.system, pid: broker.pid }])
    activeSampler.start()
    await waitForLine(loader, /^active done/, 900_000)
    const active = activeSampler.stop()[0]!
    await loader.exited
    const s = JSON.parse(readFileSync(summary, 'utf8')) as { activeMs: number, totals: { acked: number, failed: number }, latencyMs: { p50: number, p99: number } }
    const result: ConnectionsResult = {
      system: opts.system,
      stations: opts.stations,
      connectSeconds,
      rssBeforeMB: before / 2 ** 20,
      rssConnectedMB: connected / 2 ** 20,
      kbPerConnection: (connected - before) / 1024 / opts.stations,
      idle,
      active: { ...active, eventsPerSec: s.totals.acked / (s.activeMs / 1000), speed: opts.speed, p50: s.latencyMs.p50, p99: s.latencyMs.p99, failed: s.totals.failed }
    }
    ctx.log(`  ${opts.system}: ${result.kbPerConnection.toFixed(1)} KB RSS per connection; idle CPU ${idle.cpuPct.toFixed(1)}%; active ${result.active!.eventsPerSec.toFixed(0)} events/s at CPU ${active.cpuPct.toFixed(0)}%, RSS ${active.rssMaxMB.toFixed(0)} MB`)
    return result
  } finally {
    await stopBroker()
    await influx?.stop()
  }
}

/**
 * Cold authentications per second with production credentials (as the registry hashes them): devices
 * provisioned through the registry, each connecting once to a freshly started broker.
 */
export async function runColdAuth (ctx: Ctx, opts: { devices: number }): Promise<{ devices: number, seconds: number, perSecond: number, extrapolated10kSeconds: number, hash: string }> {
  const dir = join(ctx.dir, 'cold-auth')
  mkdirSync(dir, { recursive: true })
  const registryPath = join(dir, 'registry.sqlite')
  const stations = fleetSpec({ stations: opts.devices, seed: ctx.seed })
  const registry = openRegistry(registryPath)
  const credentials = await provisionFleet({ registry, stations, layout: 'hub', path: join(dir, 'credentials.json') })
  registry.close()
  // The hash the registry writes today, as stored: v2$keyid$mac (or scrypt$N$r$p$salt$hash before).
  const db = new DatabaseSync(registryPath)
  const stored = (db.prepare('SELECT secret_hash FROM devices LIMIT 1').get() as { secret_hash: string }).secret_hash.split('$')
  db.close()
  const hash = stored[0] === 'v2' ? 'v2, HMAC-SHA-256' : `${stored[0]} N=${stored[1]}, r=${stored[2]}, p=${stored[3]}`
  const influx = await startBenchInflux(() => {})
  const w = await startWaystation({ dir, influxUrl: influx.url, db: 'bench', registryPath })
  try {
    const t0 = performance.now()
    const clients = await Promise.all(stations.map((s) => {
      const d = credentials.get(s.id)![0]!
      return mqtt.connectAsync(w.mqttUrl, { clientId: d.deviceId, username: d.deviceId, password: d.secret, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 120_000 })
    }))
    const seconds = (performance.now() - t0) / 1000
    await Promise.all(clients.map((c) => c.endAsync(true)))
    const perSecond = opts.devices / seconds
    ctx.log(`  cold authentication (${hash}): ${opts.devices} devices in ${seconds.toFixed(1)} s = ${perSecond.toFixed(0)}/s`)
    return { devices: opts.devices, seconds, perSecond, extrapolated10kSeconds: 10_000 / perSecond, hash }
  } finally {
    await w.stop()
    await influx.stop()
  }
}
