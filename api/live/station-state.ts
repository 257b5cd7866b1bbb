// One station's live record: registry facts, device presence, the last value of each channel
// and today's door counts, and how an event or a rebuilt value changes it. Every setter keeps
// the newest value by event time, so applying the same fact twice, or an old fact after a new
// one (a device uploading what it buffered offline, a rebuild racing live events), changes
// nothing: the rebuild and the live stream can be merged in any order.
import type { AnyEvent } from '../../contract/index.ts'
import type { Appliance } from '../../contract/payloads.ts'
import type { Station } from '../../registry/schemas.ts'
import type { Quantity } from '../../rollups/aggregate.ts'
import { comfortOf } from './comfort.ts'
import { NO_ALERTS } from './alert-summary.ts'
import type { LiveAlerts, LiveStationState, StationLive } from './schemas.ts'
import { countEntry, startDay, type Today } from './today.ts'

export type StationMeta = Pick<Station, 'id' | 'name' | 'district' | 'timezone' | 'capacity' | 'lat' | 'lon' | 'status'>
export type DeviceRec = { id: string, kind: string, connected: boolean, lastSeenMs: number | null }
type Reading = { value: number, at: number }
type EquipmentRec = { appliance: Appliance, unit: number, state: 'on' | 'off' | 'fault', fault: string | null, at: number }
type SupplyRec = { item: string, quantity: number, capacity: number | null, at: number }
/** The supply model's view of an item, as of `computedAt` (a restock or count included). */
export type SupplyForecastRec = {
  nameZh: string | null, nameEn: string | null, level: number | null, levelSource: 'sensor' | 'manual' | 'none', readingAt: number | null, capacity: number | null, threshold: number | null, computedAt: number,
  timeToEmptyHours: number | null, emptyAt: string | null, band: { low: number | null, high: number | null },
  /** Units logged as restocked after the sensor reading `readingAt`, included in `level`. */
  pendingRestock: number
}

export type StationRec = {
  meta: StationMeta
  devices: Map<string, DeviceRec>
  occupancy: Reading | null
  climate: Record<Quantity, Reading | null>
  equipment: Map<string, EquipmentRec>
  supplies: Map<string, SupplyRec>
  supplyForecast: Map<string, SupplyForecastRec>
  lastMessageMs: number | null
  today: Today
  /** Open alerts that fired, as last read from the registry. */
  alerts: LiveAlerts
  /** Grows with every change that is pushed (data, facts, online state, a new day). */
  version: number
  /** Online state as last pushed: device ids online, '' for none. */
  onlineKey: string
}

// The occupancy thresholds of LiveStationState: busy from 70 % of capacity, full at capacity.
const BUSY_SHARE = 0.7
// A device clock this far ahead is wrong: its reading would stay "newest" until the real
// time caught up with it. Such an event is stored as sent, but the live state ignores it.
export const MAX_FUTURE_MS = 5 * 60_000
export const QUANTITIES: readonly Quantity[] = ['temperature', 'humidity', 'co2', 'pm25']

export function newStationRec (meta: StationMeta, nowMs: number): StationRec {
  return {
    meta,
    devices: new Map(),
    occupancy: null,
    climate: { temperature: null, humidity: null, co2: null, pm25: null },
    equipment: new Map(),
    supplies: new Map(),
    supplyForecast: new Map(),
    lastMessageMs: null,
    today: startDay(meta.timezone, nowMs),
    alerts: NO_ALERTS,
    version: 1,
    onlineKey: ''
  }
}

const newer = (r: { at: number } | null | undefined, at: number) => r == null || at >= r.at

export function setOccupancy (s: StationRec, count: number, at: number): boolean {
  if (!newer(s.occupancy, at)) return false
  s.occupancy = { value: count, at }
  return true
}

export function setClimate (s: StationRec, q: Quantity, value: number, at: number): boolean {
  if (!newer(s.climate[q], at)) return false
  s.climate[q] = { value, at }
  return true
}

export function setEquipment (s: StationRec, e: EquipmentRec): boolean {
  const key = `${e.appliance} ${e.unit}`
  if (!newer(s.equipment.get(key), e.at)) return false
  s.equipment.set(key, e)
  return true
}

/** capacity undefined: the reading did not say, keep what the shelf said before. */
export function setSupply (s: StationRec, item: string, quantity: number, capacity: number | null | undefined, at: number): boolean {
  const before = s.supplies.get(item)
  if (!newer(before, at)) {
    // An older reading may still be the only one that told the shelf's capacity.
    if (before && before.capacity === null && capacity != null) { before.capacity = capacity; return true }
    return false
  }
  s.supplies.set(item, { item, quantity, capacity: capacity ?? before?.capacity ?? null, at })
  return true
}

export function setLastMessage (s: StationRec, at: number): boolean {
  if (s.lastMessageMs !== null && s.lastMessageMs >= at) return false
  s.lastMessageMs = at
  return true
}

/** Applies one stored event; true when the station's state changed. `nowMs` is when it was stored. */
export function applyEvent (s: StationRec, event: AnyEvent, nowMs: number): boolean {
  const p = event.payload
  const device = s.devices.get(p.device)
  // The device was just heard from: what the presence tracker will write in a few seconds.
  if (device) { device.lastSeenMs = nowMs; device.connected = true }
  if (p.ts > nowMs + MAX_FUTURE_MS) return false
  let changed = setLastMessage(s, p.ts)
  switch (event.channel) {
    case 'door': {
      const d = event.payload
      if (d.result === 'granted' && d.direction === 'in') changed = countEntry(s.today, d.device, d.ts, d.seq, d.worker) || changed
      break
    }
    case 'occupancy':
      changed = setOccupancy(s, event.payload.count, p.ts) || changed
      break
    case 'environment': {
      const r = event.payload
      for (const q of QUANTITIES) {
        const v = r[q]
        if (v !== undefined) changed = setClimate(s, q, v, p.ts) || changed
      }
      break
    }
    case 'equipment': {
      const e = event.payload
      changed = setEquipment(s, { appliance: e.appliance, unit: e.unit, state: e.state, fault: e.fault ?? null, at: e.ts }) || changed
      break
    }
    case 'supply':
      changed = setSupply(s, event.payload.item, event.payload.quantity, event.payload.capacity, p.ts) || changed
      break
    case 'status':
      break
  }
  return changed
}

export function deviceOnline (d: DeviceRec, nowMs: number, offlineAfterMs: number): boolean {
  return d.connected && d.lastSeenMs !== null && nowMs - d.lastSeenMs <= offlineAfterMs
}

/** The ids of the devices online now, as one string to compare with the last pushed one. */
export function onlineKey (s: StationRec, nowMs: number, offlineAfterMs: number): string {
  let key = ''
  for (const d of s.devices.values()) if (deviceOnline(d, nowMs, offlineAfterMs)) key += d.id + ' '
  return key
}

export function stateOf (online: boolean, occupancy: number | null, capacity: number): LiveStationState {
  if (!online) return 'offline'
  if (occupancy !== null && occupancy >= capacity) return 'full'
  if (occupancy !== null && occupancy >= BUSY_SHARE * capacity) return 'busy'
  return 'quiet'
}

const iso = (ms: number) => new Date(ms).toISOString()

export function viewOf (s: StationRec, nowMs: number, offlineAfterMs: number): StationLive {
  const devices = [...s.devices.values()].map((d) => ({
    id: d.id, kind: d.kind, online: deviceOnline(d, nowMs, offlineAfterMs), lastSeen: d.lastSeenMs === null ? null : iso(d.lastSeenMs)
  }))
  const online = devices.some((d) => d.online)
  const c = s.climate
  const climateAt = Math.max(...QUANTITIES.map((q) => c[q]?.at ?? -Infinity))
  const value = (q: Quantity) => c[q]?.value ?? null
  const values = { temperature: value('temperature'), humidity: value('humidity'), co2: value('co2'), pm25: value('pm25') }
  const occupancy = s.occupancy?.value ?? null
  const m = s.meta
  return {
    stationId: m.id,
    name: m.name,
    district: m.district,
    timezone: m.timezone,
    capacity: m.capacity,
    lat: m.lat,
    lon: m.lon,
    status: m.status,
    state: stateOf(online, occupancy, m.capacity),
    online,
    devices,
    occupancy,
    climate: climateAt === -Infinity ? null : { ...values, comfort: comfortOf(values), at: iso(climateAt) },
    equipment: [...s.equipment.values()]
      .sort((a, b) => a.appliance < b.appliance ? -1 : a.appliance > b.appliance ? 1 : a.unit - b.unit)
      .map((e) => ({ appliance: e.appliance, unit: e.unit, state: e.state, fault: e.fault, at: iso(e.at) })),
    supplies: supplyViews(s),
    lastMessageAt: s.lastMessageMs === null ? null : iso(s.lastMessageMs),
    visitsToday: s.today.visits,
    uniqueWorkersToday: s.today.workers.size,
    entriesByHourToday: [...s.today.byHour],
    today: s.today.date,
    alerts: s.alerts,
    version: s.version
  }
}

/**
 * Sensor readings merged with the supply model's forecast: a shelf sensor's last reading is the
 * level; a station without one has the model's level (its last hand count plus the restocks
 * logged since). `at` is the time of the last reading or count.
 */
function supplyViews (s: StationRec): StationLive['supplies'] {
  const items = [...new Set([...s.supplies.keys(), ...s.supplyForecast.keys()])].sort()
  return items.flatMap((item) => {
    const r = s.supplies.get(item)
    const f = s.supplyForecast.get(item)
    const fromModel = f !== undefined && f.level !== null && (r === undefined || (f.levelSource === 'manual' && f.computedAt >= r.at))
    const quantity = fromModel ? f.level! : r?.quantity
    if (quantity === undefined) return []
    const at = Math.max(r?.at ?? -Infinity, fromModel ? f.readingAt ?? f.computedAt : -Infinity)
    const capacity = f?.capacity ?? r?.capacity ?? null
    const threshold = f?.threshold ?? null
    return [{
      item,
      quantity,
      capacity,
      at: iso(at),
      nameZh: f?.nameZh ?? null,
      nameEn: f?.nameEn ?? null,
      percent: capacity === null || capacity <= 0 ? null : Math.round(quantity / capacity * 1000) / 10,
      threshold,
      level: quantity <= 0 ? 'empty' as const : threshold !== null && quantity <= threshold ? 'low' as const : 'ok' as const,
      // A forecast older than a new reading still says how fast the shelf empties.
      timeToEmptyHours: f?.timeToEmptyHours ?? null,
      emptyAt: f?.emptyAt ?? null,
      band: f?.band ?? { low: null, high: null },
      // Only while the live level is the reading the model added the restock to: a newer
      // reading (which holds the restock or not) ends it, before the model's next refresh.
      pendingRestock: f !== undefined && f.pendingRestock > 0 && r !== undefined && r.at === f.readingAt ? f.pendingRestock : 0
    }]
  })
}
