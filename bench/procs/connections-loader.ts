// Connections benchmark load: N simulated stations connect (one MQTT client each, MQTT
// keepalive 60 s), stay idle for a while, then publish their live traffic at `speed` × real
// time. Prints a line at each phase change for the orchestrator, which samples the broker.
// argv: --url --credentials --stations --idle 20 --active 20 --speed 10 --summary FILE
import { writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { fleetSpec } from '../../simulators/fleet-spec.ts'
import { totals } from '../../simulators/fleet-stats.ts'
import { createFleet } from '../../simulators/fleet.ts'
import { readCredentials } from '../../simulators/provision.ts'

const { values: a } = parseArgs({ options: { url: { type: 'string' }, credentials: { type: 'string' }, stations: { type: 'string' }, idle: { type: 'string', default: '20' }, active: { type: 'string', default: '20' }, speed: { type: 'string', default: '10' }, summary: { type: 'string' }, seed: { type: 'string', default: '1' } } })
const stations = fleetSpec({ stations: Number(a.stations), seed: a.seed as string })
const fleet = createFleet({ url: a.url as string, stations, credentials: readCredentials(a.credentials as string), seed: a.seed as string, truth: false, connectConcurrency: 200 })
const t0 = performance.now()
await fleet.connect()
const connectMs = performance.now() - t0
// Plan every station's day now (~1.5 ms each), so that neither window below includes it.
const from = Date.now()
await fleet.prepare(from)
console.log(`connected ${stations.length} in ${connectMs.toFixed(0)} ms`)
await sleep(Number(a.idle) * 1000)
console.log('idle done')
const abort = new AbortController()
setTimeout(() => abort.abort(), Number(a.active) * 1000)
const report = await fleet.run({ from, speed: Number(a.speed), signal: abort.signal })
console.log('active done')
const t = totals(report.counters)
const q = (x: number) => Math.round(report.latency.quantile(x) * 1000) / 1000
writeFileSync(a.summary as string, JSON.stringify({
  stations: stations.length, connectMs, activeMs: report.elapsedMs, totals: t, reconnects: report.counters.reconnects,
  latencyMs: { count: report.latency.count, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: report.latency.max }
}))
await fleet.close()
process.exit(0)
