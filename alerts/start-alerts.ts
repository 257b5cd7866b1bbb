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

type FleetDevice = { id: string, kind: string, connected: boolean | null, lastSeenAt: number }

/** Every unrevoked device with its presence, by station (an async read: registry/presence-store.ts). */
export async function readPresence (registry: Registry): Promise<Map<string, FleetDevice[]>> {
  const byStation = new Map<string, FleetDevice[]>()
  for (const d of await registry.presence.devices()) {
    let list = byStation.get(d.station_id)
    if (list === undefined) byStation.set(d.station_id, list = [])
    list.push({ id: d.id, kind: d.kind, connected: d.connected === null ? null : d.connected === 1, lastSeenAt: d.last_seen_at === null ? 0 : Date.parse(d.last_seen_at) })
  }
  return byStation
}

/** Active stations with their devices and presence, as the evaluator's refresh takes them. */
export async function readFleet (registry: Registry) {
  const presence = await readPresence(registry)
  return (await registry.stations.list({ status: 'active' }))
    .map((s) => ({ id: s.id, district: s.district, timezone: s.timezone, capacity: s.capacity, devices: presence.get(s.id) ?? [] }))
}

export async function startAlerts (opts: { registry: Registry, ingest: { onStored: (l: StoredListener) => void }, logger: Logger, tickMs: number, clock?: () => number }) {
  const { registry } = opts
  const logger = opts.logger.child({ component: 'alerts' })
  const clock = opts.clock ?? Date.now
  const evaluator = createEvaluator({
    alerts: registry.alerts,
    settings: registry.alertSettings,
    transaction: registry.transaction,
    clock,
    logger,
    // Read at each refresh (every REFRESH_EVERY_TICKS ticks, and before the next tick when an
    // event of a station it does not know arrived: evaluator.ts).
    fleet: () => readFleet(registry)
  })
  // Open alerts first (pending periods and hold-offs continue from their recorded times), then
  // the fleet, then events.
  await evaluator.load()
  await evaluator.refresh()
  opts.ingest.onStored(evaluator.onStored)
  let ticks = 0
  // One round at a time: a round that outlasts the interval (a slow database) makes the next
  // timer call skip, not overlap it.
  let running: Promise<void> | null = null
  async function round (): Promise<void> {
    try {
      if (++ticks % REFRESH_EVERY_TICKS === 0) await evaluator.refresh()
      await evaluator.tick()
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'alert evaluation failed')
    }
  }
  const timer = setInterval(() => {
    if (running !== null) return
    running = round().finally(() => { running = null })
  }, opts.tickMs)
  timer.unref()
  return {
    evaluator,
    /** Stops the timer and waits for a round under way. */
    async close (): Promise<void> { clearInterval(timer); await running }
  }
}
