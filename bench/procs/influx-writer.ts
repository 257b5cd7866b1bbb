// Baseline (d): InfluxDB's own write ceiling. Pre-built line protocol of realistic points (the
// simulator's busy station-days through Waystation's mapping, ingest/to-line.ts) POSTed in
// batches of `batch` points by `writers` concurrent writers for `seconds`. Each round shifts
// the timestamps by a day, so every point is new. argv: --influx --db --seconds --writers --batch --stats
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { eventToLine } from '../../ingest/to-line.ts'
import { dayEvents } from '../../simulators/day-events.ts'
import { planDay } from '../../simulators/day-model.ts'
import { fleetSpec } from '../../simulators/fleet-spec.ts'
import { createWorkerPool } from '../../simulators/worker-pool.ts'

const { values: a } = parseArgs({ options: { influx: { type: 'string' }, db: { type: 'string', default: 'bench' }, seconds: { type: 'string', default: '20' }, writers: { type: 'string', default: '2' }, batch: { type: 'string', default: '10000' }, stats: { type: 'string' } } })
const DAY = 86_400_000
const batchSize = Number(a.batch)

// Each point as [line up to the timestamp, ms, sub-millisecond digits].
const points: Array<[string, number, string]> = []
for (const s of fleetSpec({ stations: 40, seed: 'influx-ceiling' })) {
  const plan = planDay({ stationId: s.id, seed: 1, date: '2026-03-03', timeZone: s.timeZone, busyness: s.busyness, capacity: s.capacity, workerPool: createWorkerPool({ seed: 1, stationId: s.id, size: Math.round(s.busyness / 4) }), region: s.city })
  const dev = `${s.id}-hub`
  for (const e of dayEvents(plan, { door: { deviceId: dev, seq: 0 }, sensors: { deviceId: dev, seq: 0 }, shelf: { deviceId: dev, seq: 0 } })) {
    const line = eventToLine(s.id, e)
    const cut = line.lastIndexOf(' ')
    const ns = line.slice(cut + 1)
    points.push([line.slice(0, cut + 1), Math.floor(Number(ns.slice(0, -6))), ns.slice(-6)])
  }
}

let next = 0
let round = 0
const body = (): { text: string, n: number } => {
  const lines: string[] = []
  for (let i = 0; i < batchSize; i++) {
    const [head, ms, sub] = points[next]!
    lines.push(`${head}${ms + round * DAY}${sub}`)
    if (++next === points.length) { next = 0; round++ }
  }
  return { text: lines.join('\n'), n: batchSize }
}

const url = `${a.influx}/write?db=${a.db}&precision=ns`
const stats = { points: 0, writes: 0, errors: 0, elapsedMs: 0, pool: points.length }
const started = performance.now()
const deadline = started + Number(a.seconds) * 1000
await Promise.all(Array.from({ length: Number(a.writers) }, async () => {
  while (performance.now() < deadline) {
    const { text, n } = body()
    const res = await fetch(url, { method: 'POST', body: text }).catch(() => undefined)
    await res?.body?.cancel()
    if (res?.status === 204) { stats.points += n; stats.writes++ } else stats.errors++
  }
}))
stats.elapsedMs = performance.now() - started
if (a.stats) writeFileSync(a.stats, JSON.stringify(stats))
console.log(JSON.stringify(stats))
