// Wires the evaluator inside the process that runs ingest (it listens to stored events). One
// evaluator per registry: the cluster issue adds a lease before several ingest processes share
// one registry.
import type { StoredListener } from '../ingest/create-ingest.ts'
import type { Logger } from '../platform/logger.ts'
import type { Registry } from '../registry/open-registry.ts'
import { createEvaluator, type Fleet } from './evaluator.ts'

// Stations, devices, presence and settings are checked this often (they change rarely, and
// presence is flushed by the broker every PRESENCE_FLUSH_MS anyway); re-read when they changed.
const REFRESH_EVERY_TICKS = 5

type FleetDevice = { id: string, kind: string, connected: boolean | null, lastSeenAt: number }

/** Every unrevoked device with its presence, by station (an async read: registry/presence-store.ts). */
export async function readPresence (registry: Pick<Registry, 'presence'>): Promise<Map<string, FleetDevice[]>> {
  const byStation = new Map<string, FleetDevice[]>()
  for (const d of await registry.presence.devices()) {
    let list = byStation.get(d.station_id)
    if (list === undefined) byStation.set(d.station_id, list = [])
    list.push({ id: d.id, kind: d.kind, connected: d.connected === null ? null : d.connected === 1, lastSeenAt: d.last_seen_at === null ? 0 : Date.parse(d.last_seen_at) })
  }
  return byStation
}

/** What reading the fleet needs of the registry. */
export type FleetRegistry = Pick<Registry, 'stations' | 'presence' | 'changeToken'>
type ActiveStation = { id: string, district: string, timezone: string, capacity: number }

const activeStations = async (registry: Pick<Registry, 'stations'>): Promise<ActiveStation[]> =>
  (await registry.stations.list({ status: 'active' })).map((s) => ({ id: s.id, district: s.district, timezone: s.timezone, capacity: s.capacity }))
const joined = (stations: readonly ActiveStation[], presence: Map<string, FleetDevice[]>): Fleet =>
  stations.map((s) => ({ ...s, devices: presence.get(s.id) ?? [] }))

/**
 * Active stations with their devices and presence, as the evaluator's refresh takes them,
 * re-read only in part when the registry changed: while registry.changeToken() has
 * not moved since the last read nothing it returns can have changed (every station, device and
 * presence write moves it), so the last fleet is returned as it was; when it moved, presence
 * and devices are read again, and the stations only when registry.stations.version() moved too.
 * Both are read before the data, so a write in between is read now and again next time, never
 * missed. Idle, that is one small statement per refresh instead of every station and device
 * (bench/RESULTS.md, idle CPU).
 */
export function createFleetReader (registry: FleetRegistry): () => Promise<Fleet> {
  let last: { token: string, fleet: Fleet } | undefined
  let stations: { version: number, list: ActiveStation[] } | undefined
  return async () => {
    const token = await registry.changeToken()
    if (last?.token === token) return last.fleet
    const version = await registry.stations.version()
    const presence = await readPresence(registry)
    if (stations?.version !== version) stations = { version, list: await activeStations(registry) }
    last = { token, fleet: joined(stations.list, presence) }
    return last.fleet
  }
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
    // Asked at each refresh (every REFRESH_EVERY_TICKS ticks, and before the next tick when an
    // event of a station it does not know arrived: evaluator.ts); read only what changed.
    fleet: createFleetReader(registry)
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
