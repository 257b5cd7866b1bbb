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

/** Active stations with their devices and presence (as last read), as the evaluator's refresh takes them. */
export function readFleet (registry: Registry, presence: ReadonlyMap<string, FleetDevice[]>) {
  return registry.listStations().filter((s) => s.status === 'active')
    .map((s) => ({ id: s.id, district: s.district, timezone: s.timezone, capacity: s.capacity, devices: presence.get(s.id) ?? [] }))
}

export function startAlerts (opts: { registry: Registry, ingest: { onStored: (l: StoredListener) => void }, logger: Logger, tickMs: number, clock?: () => number }) {
  const { registry } = opts
  const logger = opts.logger.child({ component: 'alerts' })
  const clock = opts.clock ?? Date.now
  const evaluator = createEvaluator({
    alerts: registry.alerts,
    settings: registry.alertSettings,
    transaction: registry.syncTransaction,
    clock,
    logger,
    // The evaluator refreshes synchronously (also for a station it has just met in an event):
    // presence is read ahead, at start and every REFRESH_EVERY_TICKS ticks, and the refresh
    // takes the latest read. A station new since then has no devices until the next read, but
    // its events still count.
    fleet: () => readFleet(registry, presence)
  })
  let presence: ReadonlyMap<string, FleetDevice[]> = new Map()
  const refreshed = () => readPresence(registry).then((p) => { presence = p; evaluator.refresh() })
  const failed = (err: Error) => logger.error({ err: err.message }, 'alert evaluation failed')
  // Open alerts first (pending periods and hold-offs continue from their recorded times), then
  // the fleet, then events.
  evaluator.load()
  evaluator.refresh()
  refreshed().catch(failed)
  opts.ingest.onStored(evaluator.onStored)
  let ticks = 0
  const timer = setInterval(() => {
    try {
      if (++ticks % REFRESH_EVERY_TICKS === 0) refreshed().then(() => evaluator.tick()).catch(failed)
      else evaluator.tick()
    } catch (err) {
      failed(err as Error)
    }
  }, opts.tickMs)
  timer.unref()
  return {
    evaluator,
    async close (): Promise<void> { clearInterval(timer) }
  }
}
