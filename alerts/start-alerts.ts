// Wires the evaluator inside the process that runs ingest (it listens to stored events). One
// evaluator per registry: the cluster issue adds a lease before several ingest processes share
// one registry.
import type { StoredListener } from '../ingest/create-ingest.ts'
import type { Logger } from '../platform/logger.ts'
import type { Registry } from '../registry/open-registry.ts'
import { createEvaluator } from './evaluator.ts'

// Stations, devices, presence and settings are re-read this often (they change rarely, and
// presence is flushed by the broker every PRESENCE_FLUSH_MS anyway).
const REFRESH_EVERY_TICKS = 5

/** Active stations with their devices and presence, as the evaluator's refresh takes them. */
export async function readFleet (registry: Registry) {
  const byStation = new Map<string, Array<{ id: string, kind: string, connected: boolean | null, lastSeenAt: number }>>()
  for (const d of registry.presence.devices()) {
    let list = byStation.get(d.station_id)
    if (list === undefined) byStation.set(d.station_id, list = [])
    list.push({ id: d.id, kind: d.kind, connected: d.connected === null ? null : d.connected === 1, lastSeenAt: d.last_seen_at === null ? 0 : Date.parse(d.last_seen_at) })
  }
  return (await registry.stations.list({ status: 'active' }))
    .map((s) => ({ id: s.id, district: s.district, timezone: s.timezone, capacity: s.capacity, devices: byStation.get(s.id) ?? [] }))
}

export async function startAlerts (opts: { registry: Registry, ingest: { onStored: (l: StoredListener) => void }, logger: Logger, tickMs: number, clock?: () => number }) {
  const { registry } = opts
  const logger = opts.logger.child({ component: 'alerts' })
  const clock = opts.clock ?? Date.now
  let fleet = await readFleet(registry)
  const evaluator = createEvaluator({
    alerts: registry.alerts,
    settings: registry.alertSettings,
    transaction: registry.syncTransaction,
    clock,
    logger,
    // The evaluator is synchronous: it takes the fleet as last read, re-read before each refresh.
    fleet: () => fleet
  })
  // Open alerts first (pending periods and hold-offs continue from their recorded times), then
  // the fleet, then events.
  evaluator.load()
  evaluator.refresh()
  // An event of a station not in the fleet as last read (added since): the evaluator refreshes
  // at its next tick, so the fleet is read again before it, or the refresh would drop it.
  let known = new Set(fleet.map((f) => f.id))
  let unknownSeen = false
  opts.ingest.onStored((stationId, event) => {
    if (!known.has(stationId)) unknownSeen = true
    evaluator.onStored(stationId, event)
  })
  let ticks = 0
  let busy = false
  async function step (refresh: boolean): Promise<void> {
    try {
      if (refresh || unknownSeen) {
        unknownSeen = false
        fleet = await readFleet(registry)
        known = new Set(fleet.map((f) => f.id))
        evaluator.refresh()
      }
      evaluator.tick()
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'alert evaluation failed')
    }
  }
  const timer = setInterval(() => {
    if (busy) return // a slow registry read: the next tick goes on from it
    busy = true
    void step(++ticks % REFRESH_EVERY_TICKS === 0).finally(() => { busy = false })
  }, opts.tickMs)
  timer.unref()
  return {
    evaluator,
    async close (): Promise<void> { clearInterval(timer) }
  }
}
