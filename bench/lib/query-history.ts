// A year of simulated station history written straight to InfluxDB as line protocol (not
// through MQTT: this measures queries, not ingest). Door events come from the simulator's day
// model (simulators/day-model.ts) for every station-day; the people counter and the climate
// sensors are sampled every SAMPLE_MIN minutes instead of on every change / every minute, which
// keeps the load bounded on 2 cores (see bench/RESULTS.md for what exactly was loaded).
import type { AnyEvent } from '../../contract/index.ts'
import { createInfluxWrite, WriteError } from '../../ingest/influx-write.ts'
import { eventToLine } from '../../ingest/to-line.ts'
import { addDays } from '../../platform/local-day.ts'
import { planDay } from '../../simulators/day-model.ts'
import type { FleetStation } from '../../simulators/fleet-spec.ts'
import { createWorkerPool } from '../../simulators/worker-pool.ts'

export const SAMPLE_MIN = 30
const BATCH_LINES = 10_000
const WRITERS = 2

export type LoadStats = { doorEvents: number, occupancyMessages: number, environmentMessages: number, stationDays: number, seconds: number }

/** Two concurrent writers with retry (InfluxDB 1.x may answer 500 while it compacts). */
function createLoader (url: string, database: string) {
  const write = createInfluxWrite({ url, database, timeoutMs: 120_000 })
  const inFlight = new Set<Promise<void>>()
  async function send (body: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try { return await write(body) } catch (err) {
        if (!(err instanceof WriteError) || err.kind !== 'retryable' || attempt > 20) throw err
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)))
      }
    }
  }
  let lines: string[] = []
  return {
    /** Resolves at once unless a batch was due (then when a writer is free). */
    push (line: string): Promise<void> | undefined {
      lines.push(line)
      if (lines.length < BATCH_LINES) return undefined
      const body = lines.join('\n')
      lines = []
      return (async () => {
        while (inFlight.size >= WRITERS) await Promise.race(inFlight)
        const p = send(body).finally(() => inFlight.delete(p))
        inFlight.add(p)
      })()
    },
    async flush (): Promise<void> {
      if (lines.length > 0) { const body = lines.join('\n'); lines = []; await send(body) }
      await Promise.all(inFlight)
    }
  }
}

/** Indoor climate, cheap and plausible: season, time of day, people inside. */
function climate (dayOfYear: number, hour: number, people: number) {
  const season = Math.cos((2 * Math.PI * (dayOfYear - 196)) / 365)
  const daily = Math.cos((2 * Math.PI * (hour - 15)) / 24)
  const r1 = (x: number) => Math.round(x * 10) / 10
  return {
    temperature: r1(23 + 2.5 * season + 1.2 * daily + 0.1 * people),
    humidity: r1(55 + 8 * season - 5 * daily),
    co2: Math.round(420 + 40 * people),
    pm25: r1(22 - 10 * season + 6 * Math.max(0, -daily))
  }
}

/** Loads `days` local days ending the day before `until` for every station of the fleet. */
export async function loadHistory (opts: { url: string, database: string, fleet: readonly FleetStation[], until: string, days: number, seed: string, log: (s: string) => void }): Promise<LoadStats> {
  const t0 = performance.now()
  const loader = createLoader(opts.url, opts.database)
  const stats: LoadStats = { doorEvents: 0, occupancyMessages: 0, environmentMessages: 0, stationDays: 0, seconds: 0 }
  const first = addDays(opts.until, -opts.days)
  for (const [i, s] of opts.fleet.entries()) {
    const pool = createWorkerPool({ seed: opts.seed, stationId: s.id, size: Math.max(5, Math.round(s.busyness / 4)) })
    const seq = { door: 0, sensors: 0 }
    const door = `${s.id}-door`
    const hub = `${s.id}-sensors`
    for (let d = 0; d < opts.days; d++) {
      const date = addDays(first, d)
      const plan = planDay({ stationId: s.id, seed: opts.seed, date, timeZone: s.timeZone, busyness: s.busyness, capacity: s.capacity, workerPool: pool, region: s.city })
      const events: AnyEvent[] = []
      for (const v of plan.visits) {
        events.push({ channel: 'door', payload: { device: door, ts: v.enterMs, seq: seq.door++, direction: 'in', method: v.method, result: 'granted', worker: v.worker } })
        events.push({ channel: 'door', payload: { device: door, ts: v.exitMs, seq: seq.door++, direction: 'out', method: v.method, result: 'granted', worker: v.worker } })
      }
      for (const x of plan.denied) {
        events.push({ channel: 'door', payload: { device: door, ts: x.ms, seq: seq.door++, direction: 'in', method: x.method, result: 'denied', ...(x.worker ? { worker: x.worker } : {}) } })
      }
      stats.doorEvents += events.length
      // Sensors every SAMPLE_MIN minutes: the count inside at that instant, and the climate.
      for (let t = plan.startMs, k = 0; t < plan.endMs; t += SAMPLE_MIN * 60_000, k++) {
        const people = plan.visits.reduce((n, v) => n + (v.enterMs <= t && v.exitMs > t ? 1 : 0), 0)
        const hour = (k * SAMPLE_MIN) / 60
        events.push({ channel: 'occupancy', payload: { device: hub, ts: t, seq: seq.sensors++, count: people } })
        events.push({ channel: 'environment', payload: { device: hub, ts: t + 30_000, seq: seq.sensors++, ...climate(d, hour, people) } })
        stats.occupancyMessages++
        stats.environmentMessages++
      }
      for (const e of events) {
        const wait = loader.push(eventToLine(s.id, e))
        if (wait) await wait
      }
      stats.stationDays++
    }
    if ((i + 1) % 20 === 0 || i + 1 === opts.fleet.length) {
      opts.log(`   loaded ${i + 1}/${opts.fleet.length} stations (${Math.round(stats.doorEvents / 1e6 * 10) / 10} M door events, ${Math.round((performance.now() - t0) / 1000)} s)`)
    }
  }
  await loader.flush()
  stats.seconds = (performance.now() - t0) / 1000
  return stats
}
