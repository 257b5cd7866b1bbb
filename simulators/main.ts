// `npm run simulate -- --stations 1000 --days 3 --seed 42 [--live --speed 60] [--fault ...]`
// Provisions a fleet (or reads its credentials), connects one MQTT client per device, backfills
// the days before --until as fast as the stack acknowledges, then optionally runs live. Writes
// the ground truth as JSON and prints what was sent. See simulators/README.md.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { CHANNELS, type Channel } from '../contract/index.ts'
import { loadConfig } from '../platform/config.ts'
import { parseDuration, parseFault } from './faults.ts'
import { countStored } from './file-store.ts'
import { fleetSpec } from './fleet-spec.ts'
import { formatSummary, totals } from './fleet-stats.ts'
import { createFleet } from './fleet.ts'
import { createProgress, formatCount } from './progress.ts'
import { provisionFleet, readCredentials, type DeviceLayout } from './provision.ts'

const USAGE = `usage: npm run simulate -- [options]
  --stations N          fleet size, 1..10000 (default 20)
  --seed S              determinism seed (default 1)
  --days D              backfill the D days before --until (default 1; 0 = none)
  --until ISO|now       end of the backfill (default now)
  --live                then publish live as time comes
  --speed X             live speed, × real time (default 1)
  --duration 10m        live: stop after this long (default: until Ctrl-C)
  --fault SPEC          repeatable: offline:ID:2h[@start], door-stuck:ID:45m, drift:ID:6h,
                        clock-skew:ID:+90s[:3h], duplicates:ID|*|N%:2%  (see simulators/README.md)
  --devices hub|split   one gateway per station (default), or door + sensors + shelf
  --url mqtt://H:P      broker (default BROKER_URL)
  --credentials FILE    device secrets (default DATA_DIR/sim-fleet-credentials.json)
  --no-provision        use only --credentials (a remote stack provisioned by its operator)
  --channels a,b        publish only these channels
  --max-in-flight N     unacknowledged publishes fleet-wide (default 2000)
  --store-dir DIR       keep unacknowledged messages on disk (DIR/<deviceId>.jsonl); a
                        restarted run with the same DIR resends them on connect
  --time-limit 30s      stop sending after this long (benchmarks)
  --rate N              at most N events/s (an offered load, for benchmarks)
  --no-truth            keep no ground truth (saves memory for big fleets)
  --truth FILE          ground truth JSON (default DATA_DIR/sim-ground-truth.json)
  --summary-json FILE   machine-readable summary`

async function main (): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      stations: { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
      days: { type: 'string', default: '1' },
      until: { type: 'string', default: 'now' },
      live: { type: 'boolean', default: false },
      speed: { type: 'string', default: '1' },
      duration: { type: 'string' },
      fault: { type: 'string', multiple: true, default: [] },
      devices: { type: 'string', default: 'hub' },
      url: { type: 'string' },
      credentials: { type: 'string' },
      'no-provision': { type: 'boolean', default: false },
      channels: { type: 'string' },
      'max-in-flight': { type: 'string', default: '2000' },
      'store-dir': { type: 'string' },
      'time-limit': { type: 'string' },
      rate: { type: 'string' },
      'no-truth': { type: 'boolean', default: false },
      truth: { type: 'string' },
      'summary-json': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (a.help) { console.log(USAGE); return 0 }
  const config = loadConfig()
  const stations = fleetSpec({ stations: Number(a.stations), seed: a.seed })
  const layout = a.devices as DeviceLayout
  if (layout !== 'hub' && layout !== 'split') throw new Error('--devices must be hub or split')
  const channels = a.channels?.split(',') as Channel[] | undefined
  for (const c of channels ?? []) if (!CHANNELS.includes(c)) throw new Error(`unknown channel ${c}`)
  const faults = a.fault.map(parseFault)
  const until = a.until === 'now' ? Date.now() : Date.parse(a.until)
  if (!Number.isFinite(until)) throw new Error('--until must be an ISO date-time or now')
  const days = Number(a.days)
  const credentialsPath = a.credentials ?? join(config.DATA_DIR, 'sim-fleet-credentials.json')

  let credentials
  if (a['no-provision']) {
    credentials = readCredentials(credentialsPath)
  } else {
    const { openConfiguredRegistry } = await import('../registry/open-registry.ts')
    const registry = await openConfiguredRegistry(config)
    const bar = createProgress({ label: 'provision' })
    try {
      credentials = await provisionFleet({ registry, stations, layout, path: credentialsPath, onProgress: (d, t) => bar.update(d / t, `${d}/${t} stations`) })
    } finally {
      await registry.close()
    }
    bar.done(`${stations.length} stations ready (secrets in ${credentialsPath})`)
  }

  const storeDir = a['store-dir']
  if (storeDir !== undefined) {
    const found = countStored(storeDir)
    createProgress({ label: 'store' }).done(found.messages === 0
      ? `outgoing store ${storeDir}: nothing unacknowledged from a previous run`
      : `outgoing store ${storeDir}: ${found.messages} unacknowledged messages of ${found.clients} devices from a previous run, resent on connect`)
  }
  // A device whose flash fails cannot keep its promise: stop, like a crash; what is on disk is
  // resent by the next run.
  const onStoreError = (err: Error) => { console.error(`simulate: outgoing store failed: ${err.message}`); process.exit(1) }
  const fleet = createFleet({ url: a.url ?? config.BROKER_URL, stations, credentials, seed: a.seed, faults, maxInFlight: Number(a['max-in-flight']), channels, truth: !a['no-truth'], ...(storeDir === undefined ? {} : { storeDir, onStoreError }) })
  const abort = new AbortController()
  process.once('SIGINT', () => abort.abort())
  process.once('SIGTERM', () => abort.abort())

  const connectBar = createProgress({ label: 'connect' })
  const connectStart = Date.now()
  await fleet.connect((d, t) => connectBar.update(d / t, `${d}/${t} stations`))
  connectBar.done(`${fleet.size} stations connected in ${((Date.now() - connectStart) / 1000).toFixed(1)} s`)

  const tick = (label: string) => {
    const bar = createProgress({ label })
    const acked0 = totals(fleet.counters).acked
    const timer = setInterval(() => {
      const p = fleet.progress
      const t = totals(fleet.counters)
      const secs = (Date.now() - p.startedAt) / 1000
      const f = Number.isFinite(p.until) ? (p.simTs - p.from) / (p.until - p.from) : undefined
      bar.update(f, `${new Date(p.simTs).toISOString().slice(0, 16)}Z  sent ${formatCount(t.sent)} acked ${formatCount(t.acked)} failed ${t.failed}  ${((t.acked - acked0) / Math.max(secs, 0.001)).toFixed(0)}/s`)
    }, 100)
    return { stop: (text: string) => { clearInterval(timer); bar.done(text) } }
  }

  const from = until - days * 86_400_000
  if (days > 0) {
    const bar = createProgress({ label: 'plan' })
    await fleet.prepare(from, until, (d, t) => bar.update(d / t, `${d}/${t} stations`))
    bar.done(`first day of ${fleet.size} stations planned`)
  }
  // The time limit bounds the sending, not the connecting and planning.
  if (a['time-limit'] !== undefined) setTimeout(() => abort.abort(), parseDuration(a['time-limit'])).unref()
  if (days > 0 && !abort.signal.aborted) {
    const t = tick('backfill')
    await fleet.run({ from, until, signal: abort.signal, ...(a.rate === undefined ? {} : { rate: Number(a.rate) }) })
    t.stop(abort.signal.aborted
      ? `stopped at ${new Date(fleet.progress.simTs).toISOString()} (simulated), ${days} day(s) before ${new Date(until).toISOString()} not all sent`
      : `${days} day(s) before ${new Date(until).toISOString()} done`)
  }
  if (a.live && !abort.signal.aborted) {
    if (a.duration !== undefined) setTimeout(() => abort.abort(), parseDuration(a.duration)).unref()
    const t = tick(`live ×${a.speed}`)
    await fleet.run({ from: days > 0 ? until : Date.now(), speed: Number(a.speed), signal: abort.signal })
    t.stop('stopped')
  }

  const truthPath = a['no-truth'] ? undefined : a.truth ?? join(config.DATA_DIR, 'sim-ground-truth.json')
  if (truthPath !== undefined) writeFileSync(truthPath, JSON.stringify(fleet.groundTruth()))
  const r = fleet.report()
  await fleet.close()
  console.log(formatSummary(r.counters, r.latency, r.elapsedMs))
  if (truthPath !== undefined) console.log(`ground truth: ${truthPath}`)
  if (a['summary-json'] !== undefined) {
    const q = (x: number) => Math.round(r.latency.quantile(x) * 1000) / 1000
    writeFileSync(a['summary-json'], JSON.stringify({
      stations: stations.length, elapsedMs: r.elapsedMs, totals: r.totals, counters: r.counters, simulatedTo: fleet.progress.simTs,
      latencyMs: { count: r.latency.count, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: r.latency.max }
    }))
  }
  return r.totals.failed > 0 ? 1 : 0
}

main().then((code) => { process.exitCode = code }, (err: Error) => {
  console.error(`simulate: ${err.message}`)
  process.exitCode = 1
})
