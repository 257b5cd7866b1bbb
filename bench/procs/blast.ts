// A lean load generator for ceilings: a few dozen MQTT clients publishing realistic payloads
// (one busy station-day of the simulator each, rendered once) with a fixed window of
// unacknowledged QoS 1 publishes per client, or at a fixed offered rate. It costs ~10 µs of
// CPU per message where the fleet simulator costs 34-46 µs (it models every station's day
// as it goes), so it can push a broker to its limit from one process.
// argv: --url URL[,URL…] (clients spread round-robin over the URLs: nodes of a cluster) --credentials FILE --clients 50 --window 100 --seconds 20 [--rate N] --summary FILE
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import mqtt, { type MqttClient } from 'mqtt'
import { topicFor, type AnyEvent } from '../../contract/index.ts'
import { dayEvents } from '../../simulators/day-events.ts'
import { planDay } from '../../simulators/day-model.ts'
import { fleetSpec } from '../../simulators/fleet-spec.ts'
import { createLatencyHistogram } from '../../simulators/fleet-stats.ts'
import { readCredentials } from '../../simulators/provision.ts'
import { createWorkerPool } from '../../simulators/worker-pool.ts'

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' }, credentials: { type: 'string' }, clients: { type: 'string', default: '50' },
    window: { type: 'string', default: '100' }, seconds: { type: 'string', default: '20' }, rate: { type: 'string' },
    summary: { type: 'string' }, seed: { type: 'string', default: '1' }
  }
})
const clients = Number(a.clients)
const window = Number(a.window)
const rate = a.rate === undefined ? undefined : Number(a.rate)
const credentials = readCredentials(a.credentials as string)
const stations = [...credentials.keys()].slice(0, clients)
const spec = new Map(fleetSpec({ stations: credentials.size, seed: a.seed as string }).map((s) => [s.id, s]))
const DAY = 86_400_000

type Template = { topic: string, head: string, tail: string, ts: number }
/** A busy weekday of the station from 11:00 local, as payload templates without ts and seq. */
function templates (stationId: string, deviceId: string): Template[] {
  const s = spec.get(stationId)!
  const plan = planDay({ stationId, seed: a.seed as string, date: '2026-03-03', timeZone: s.timeZone, busyness: 350, capacity: 14, workerPool: createWorkerPool({ seed: a.seed as string, stationId, size: 90 }), region: s.city })
  const out: Template[] = []
  const from = plan.startMs + 11 * 3_600_000
  for (const e of dayEvents(plan, { door: { deviceId, seq: 0 }, sensors: { deviceId, seq: 0 }, shelf: { deviceId, seq: 0 } }) as Iterable<AnyEvent>) {
    if (e.payload.ts < from) continue
    const json = JSON.stringify({ ...e.payload, ts: 0, seq: 0 })
    const [head, tail] = json.split('"ts":0,"seq":0') as [string, string]
    out.push({ topic: topicFor(stationId, e.channel), head, tail, ts: e.payload.ts })
  }
  return out
}

const latency = createLatencyHistogram()
let sent = 0
let acked = 0
let failed = 0
const conns: Array<{ client: MqttClient, t: Template[], i: number, cycle: number, seq: number, inFlight: number }> = []
const urls = (a.url as string).split(',')
await Promise.all(stations.map(async (stationId, k) => {
  const dev = credentials.get(stationId)![0]!
  const client = await mqtt.connectAsync(urls[k % urls.length]!, { clientId: dev.deviceId, username: dev.deviceId, password: dev.secret, protocolVersion: 4, reconnectPeriod: 1000, keepalive: 60, log: () => {} })
  client.on('error', () => {})
  conns.push({ client, t: templates(stationId, dev.deviceId), i: 0, cycle: 0, seq: 0, inFlight: 0 })
}))
console.log(`${conns.length} clients connected`)

const started = performance.now()
const deadline = started + Number(a.seconds) * 1000
let allowed = Infinity
const sendOne = (c: (typeof conns)[number]): void => {
  const tp = c.t[c.i]!
  const body = `${tp.head}"ts":${tp.ts + c.cycle * DAY},"seq":${c.seq++}${tp.tail}`
  if (++c.i === c.t.length) { c.i = 0; c.cycle++ }
  c.inFlight++
  sent++
  const t0 = performance.now()
  c.client.publish(tp.topic, body, { qos: 1 }, (err) => {
    c.inFlight--
    if (err) failed++
    else { acked++; latency.record(performance.now() - t0) }
    pump(c)
  })
}
const pump = (c: (typeof conns)[number]): void => {
  while (c.inFlight < window && performance.now() < deadline && sent < allowed) sendOne(c)
}
if (rate !== undefined) {
  // Offered load: every 5 ms release what the rate allows, spread over the clients.
  const tick = setInterval(() => {
    allowed = Math.floor(((performance.now() - started) / 1000) * rate)
    for (const c of conns) pump(c)
    if (performance.now() >= deadline) clearInterval(tick)
  }, 5)
  allowed = 0
}
for (const c of conns) pump(c)
await new Promise<void>((resolve) => {
  const check = setInterval(() => {
    if (performance.now() >= deadline && conns.every((c) => c.inFlight === 0)) { clearInterval(check); resolve() }
    // Bounded drain: what is not acknowledged 30 s after the end counts as not acknowledged.
    if (performance.now() >= deadline + 30_000) { clearInterval(check); resolve() }
  }, 20)
})
const elapsedMs = performance.now() - started
const q = (x: number) => Math.round(latency.quantile(x) * 1000) / 1000
const summary = {
  stations: conns.length, elapsedMs, sendMs: Number(a.seconds) * 1000,
  totals: { sent, acked, failed, unacked: sent - acked - failed },
  counters: { status: { sent: 0, acked: 0 }, duplicates: { sent: 0 }, reconnects: 0 },
  latencyMs: { count: latency.count, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: latency.max }
}
writeFileSync(a.summary as string, JSON.stringify(summary))
console.log(JSON.stringify(summary))
await Promise.all(conns.map((c) => c.client.endAsync(true)))
process.exit(0)
