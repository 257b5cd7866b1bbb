// The live state of every station, in memory. Three things change it:
//   - stored events (ingest's stored-events hook, or the broker's feed in an API-only process):
//     O(1) per event on the ingest hot path, a few fields of the station's record and a mark;
//   - a poll of the registry every `pollMs`: stations added or edited, devices with their
//     presence, devices going silent (online/offline is a matter of time passing), local midnight;
//   - the rebuild from InfluxDB at start (rebuild.ts), merged with the same setters.
// Changed stations are pushed together, at most `flushMs` after the first change, never per event.
import type { Alert } from '../../alerts/schemas.ts'
import type { AnyEvent } from '../../contract/index.ts'
import type { DeviceLiveness } from '../../registry/presence-store.ts'
import type { Station } from '../../registry/schemas.ts'
import type { StationLive } from './schemas.ts'
import { alertsKey, NO_ALERTS, summarizeAlerts } from './alert-summary.ts'
import { applyEvent, newStationRec, onlineKey, viewOf, type StationMeta, type StationRec } from './station-state.ts'
import { startDay } from './today.ts'

// Promise or not: the registry's stores become async one by one (issue 15 item 3).
type MaybeAsync<T> = T | Promise<T>

export type LiveRegistry = {
  listStations: () => Promise<Station[]>
  presence: { allDevices: () => MaybeAsync<DeviceLiveness[]> }
  /** Open alerts (registry/alert-store.ts); omitted: the live state carries no alerts. */
  alerts?: { listOpen: () => MaybeAsync<Alert[]> }
  /** Changes whenever the registry may have (registry/open-registry.ts); omitted: read every poll. */
  changeToken?: () => MaybeAsync<string>
}

export type LiveStoreOptions = {
  registry: LiveRegistry
  /** A device silent for longer is offline (STATION_OFFLINE_AFTER_S). */
  offlineAfterMs: number
  /** Coalescing window: changes are pushed at most this long after the first one. */
  flushMs?: number
  /** Registry and presence poll. */
  pollMs?: number
  now?: () => number
  /** Called by the flush with each changed station, in change order. */
  onChange: (view: StationLive) => void
  /** A station's time zone changed: its "today" restarted empty and needs the rebuild. */
  onZoneChange?: (stationId: string) => void
}

const MAX_UNKNOWN = 1000
const META_KEYS = ['name', 'district', 'timezone', 'capacity', 'lat', 'lon', 'status'] as const

export function createLiveStore (opts: LiveStoreOptions) {
  const now = opts.now ?? Date.now
  const flushMs = opts.flushMs ?? 100
  const stations = new Map<string, StationRec>()
  const dirty = new Set<StationRec>()
  let flushTimer: NodeJS.Timeout | null = null
  let closed = false
  let unknown: Array<[string, AnyEvent]> = []

  function markChanged (s: StationRec): void {
    s.version++
    dirty.add(s)
    if (flushTimer === null && !closed) flushTimer = setTimeout(flush, flushMs)
  }

  function flush (): void {
    flushTimer = null
    if (dirty.size === 0) return
    const t = now()
    const batch = [...dirty]
    dirty.clear()
    for (const s of batch) {
      s.onlineKey = onlineKey(s, t, opts.offlineAfterMs)
      opts.onChange(viewOf(s, t, opts.offlineAfterMs))
    }
  }

  /** The hook: called once per stored event, on the ingest hot path. */
  function onStored (stationId: string, event: AnyEvent): void {
    const s = stations.get(stationId)
    if (s !== undefined) {
      if (applyEvent(s, event, now())) markChanged(s)
      return
    }
    // A station registered since the last poll (its devices may publish at once): keep the
    // event, read the registry now, then apply it. Only registered stations' devices can log
    // in, so this queue holds a few events at most; the cap is a guard, not a working limit.
    if (unknown.length < MAX_UNKNOWN) unknown.push([stationId, event])
    if (unknown.length === 1) setImmediate(() => { void syncUnknown() })
  }

  async function syncUnknown (): Promise<void> {
    const events = unknown
    unknown = []
    if (closed) return
    try {
      await sync().catch(() => {}) // the events need the stations, read before sync() returns
    } catch {
      return
    }
    for (const [stationId, event] of events) {
      const s = stations.get(stationId)
      if (s !== undefined && applyEvent(s, event, now())) markChanged(s)
    }
  }

  function syncStations (list: readonly Station[], t: number): void {
    for (const st of list) {
      const meta: StationMeta = { id: st.id, name: st.name, district: st.district, timezone: st.timezone, capacity: st.capacity, lat: st.lat, lon: st.lon, status: st.status }
      const s = stations.get(st.id)
      if (s === undefined) {
        const rec = newStationRec(meta, t)
        stations.set(st.id, rec)
        markChanged(rec)
        continue
      }
      if (META_KEYS.every((k) => s.meta[k] === meta[k])) continue
      const zoneChanged = s.meta.timezone !== meta.timezone
      s.meta = meta
      if (zoneChanged) {
        s.today = startDay(meta.timezone, t)
        opts.onZoneChange?.(st.id)
      }
      markChanged(s)
    }
  }

  function syncDevices (devices: readonly DeviceLiveness[]): void {
    const seen = new Map<StationRec, Set<string>>()
    for (const d of devices) {
      const s = stations.get(d.stationId)
      if (s === undefined) continue
      let ids = seen.get(s)
      if (!ids) seen.set(s, ids = new Set())
      ids.add(d.deviceId)
      const lastSeenMs = d.lastSeenAt === null ? null : Date.parse(d.lastSeenAt)
      const rec = s.devices.get(d.deviceId)
      if (rec === undefined) {
        s.devices.set(d.deviceId, { id: d.deviceId, kind: d.kind, connected: d.connected, lastSeenMs })
        markChanged(s)
        continue
      }
      rec.connected = d.connected
      // Seen here (a stored event) may be later than the presence tracker has written yet.
      if (lastSeenMs !== null && (rec.lastSeenMs === null || lastSeenMs > rec.lastSeenMs)) rec.lastSeenMs = lastSeenMs
    }
    for (const s of stations.values()) {
      const ids = seen.get(s)
      for (const id of s.devices.keys()) {
        if (ids?.has(id) !== true) { s.devices.delete(id); markChanged(s) } // revoked
      }
    }
  }

  /** What time passing changes, registry or not: local midnight, devices going silent. */
  function syncTime (t: number): void {
    for (const s of stations.values()) {
      if (s.today.endMs <= t) { s.today = startDay(s.meta.timezone, t); markChanged(s) }
      if (!dirty.has(s) && onlineKey(s, t, opts.offlineAfterMs) !== s.onlineKey) markChanged(s)
    }
  }

  // Every alert transition (evaluator, operator, CLI; any process) is in the registry's table.
  function syncAlerts (open: readonly Alert[] | null): void {
    if (open === null) return
    const by = summarizeAlerts(open)
    for (const s of stations.values()) {
      const next = by.get(s.meta.id) ?? NO_ALERTS
      if (alertsKey(next) === alertsKey(s.alerts)) continue
      s.alerts = next
      markChanged(s)
    }
  }

  // The registry's change token when it was last read in full: an idle fleet's registry does
  // not change, and reading 10,000 stations and their devices every poll was most of the idle
  // CPU (bench/RESULTS.md). Taken before reading, so a change during the read is read next time.
  let readAt: string | null = null

  async function read (): Promise<void> {
    const token = await opts.registry.changeToken?.() ?? null
    if (token === null || token !== readAt) {
      // All read before any is applied: the state changes in one step, not across awaits.
      const [list, devices, open] = await Promise.all([
        opts.registry.listStations(), opts.registry.presence.allDevices(), opts.registry.alerts?.listOpen() ?? null
      ])
      if (closed) return
      const t = now()
      syncStations(list, t)
      syncDevices(devices)
      syncAlerts(open)
      readAt = token
    }
    syncTime(now())
  }

  // One read at a time, in the order asked: a read asked for during another (a station's first
  // event, the supplies refresh) starts after it, so it sees what was committed before it was asked.
  let reading: Promise<void> = Promise.resolve()
  /** Registry, presence, open alerts, local midnight. `ready` is the first, before any request. */
  function sync (): Promise<void> {
    const next = reading.then(read)
    reading = next.catch(() => {})
    return next
  }

  const ready = sync()
  ready.catch(() => {}) // the caller awaits `ready`; the poll retries
  let polling = false
  const pollTimer = setInterval(() => {
    if (polling) return // a slow registry: no queue of polls behind it
    polling = true
    // A failure (a busy lock, a database restarting) is retried next poll.
    sync().catch(() => {}).finally(() => { polling = false })
  }, opts.pollMs ?? 2000)
  pollTimer.unref()

  return {
    onStored,
    sync,
    /** Settles once the first read of the registry has (rejects if it failed). */
    ready,
    /** Changes a station's record (rebuild); fn returns true when it changed something. */
    update (stationId: string, fn: (s: StationRec) => boolean): void {
      const s = stations.get(stationId)
      if (s !== undefined && fn(s)) markChanged(s)
    },
    records: (): IterableIterator<StationRec> => stations.values(),
    get: (stationId: string): StationRec | undefined => stations.get(stationId),
    /** The station's state now (fresh online state and last-seen times). */
    view (s: StationRec): StationLive {
      return viewOf(s, now(), opts.offlineAfterMs)
    },
    /** Pushes what is pending now (tests, shutdown). */
    flush (): void {
      if (flushTimer !== null) clearTimeout(flushTimer)
      flush()
    },
    close (): void {
      closed = true
      clearInterval(pollTimer)
      if (flushTimer !== null) clearTimeout(flushTimer)
      flushTimer = null
    }
  }
}

export type LiveStore = ReturnType<typeof createLiveStore>
