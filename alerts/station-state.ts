import type { AnyEvent } from '../contract/index.ts'

// What the rules need to know about a station, updated by every stored event. This is the hot
// path (ingest's stored hook, tens of thousands of events per second): a few field writes per
// event, no allocation once a station, device, appliance or item has been seen. Times are the
// evaluator clock's (ms), not the device's: conditions are about "now", and a device with a
// wrong clock must not hold an alert open or shut.

export type DeviceState = {
  lastEventAt: number // last stored event (0: none since this process started)
  willOffline: boolean // its last status was `offline` (the will) and nothing came since
  presenceSeenAt: number // last connect / publish / keep-alive the broker recorded (0: unknown)
  connected: boolean
  kind: string
}

export type ApplianceState = { state: 'on' | 'off' | 'fault', since: number, fault: string | undefined }
export type SupplyState = { quantity: number, capacity: number | undefined }

export type StationState = {
  id: string
  district: string
  timezone: string
  capacity: number
  occupancy: number
  occupancyAt: number // 0: no reading yet
  emptySince: number // occupancy 0 since (0: not empty)
  aloneSince: number // occupancy exactly 1 since (0: not alone)
  temperature: number
  temperatureAt: number
  co2: number
  co2At: number
  pm25: number
  pm25At: number
  doorHeldOpenSince: number // 0: closed (or never reported)
  lastEntryAt: number // last granted `in`
  entriesThisHour: number // granted `in`, not yet flushed to alert_hourly_entries
  devices: Map<string, DeviceState>
  appliances: Map<string, ApplianceState> // `${appliance}:${unit}`
  supplies: Map<string, SupplyState>
  // The evaluator's schedule (alerts/evaluator.ts): a station is evaluated at a tick only when
  // something it depends on changed (`dirty`: an event, the fleet, settings, an alert step) or
  // when a time-driven condition may have changed (`dueAt`, ms; Infinity: nothing due).
  dirty: boolean
  dueAt: number
}

export function newStationState (id: string, district: string, timezone: string, capacity: number): StationState {
  return {
    id, district, timezone, capacity, occupancy: 0, occupancyAt: 0, emptySince: 0, aloneSince: 0,
    temperature: 0, temperatureAt: 0, co2: 0, co2At: 0, pm25: 0, pm25At: 0, doorHeldOpenSince: 0,
    lastEntryAt: 0, entriesThisHour: 0, devices: new Map(), appliances: new Map(), supplies: new Map(),
    dirty: true, dueAt: 0
  }
}

export function deviceOf (s: StationState, id: string, kind = 'hub'): DeviceState {
  let d = s.devices.get(id)
  if (d === undefined) {
    d = { lastEventAt: 0, willOffline: false, presenceSeenAt: 0, connected: false, kind }
    s.devices.set(id, d)
  }
  return d
}

/** Applies one stored event at evaluator time `now`. */
export function applyEvent (s: StationState, event: AnyEvent, now: number): void {
  s.dirty = true
  const d = deviceOf(s, event.payload.device)
  d.lastEventAt = now
  d.willOffline = false
  switch (event.channel) {
    case 'door': {
      const p = event.payload
      if (p.direction === 'in' && p.result === 'granted') { s.lastEntryAt = now; s.entriesThisHour++ }
      break
    }
    case 'door_state':
      s.doorHeldOpenSince = event.payload.state === 'held_open' ? (s.doorHeldOpenSince || now) : 0
      break
    case 'occupancy': {
      const c = event.payload.count
      s.occupancy = c
      s.occupancyAt = now
      s.emptySince = c === 0 ? (s.emptySince || now) : 0
      s.aloneSince = c === 1 ? (s.aloneSince || now) : 0
      break
    }
    case 'environment': {
      const p = event.payload
      if (p.temperature !== undefined) { s.temperature = p.temperature; s.temperatureAt = now }
      if (p.co2 !== undefined) { s.co2 = p.co2; s.co2At = now }
      if (p.pm25 !== undefined) { s.pm25 = p.pm25; s.pm25At = now }
      break
    }
    case 'status':
      d.willOffline = event.payload.state === 'offline'
      break
    case 'equipment': {
      const p = event.payload
      const key = `${p.appliance}:${p.unit}`
      const a = s.appliances.get(key)
      if (a === undefined) s.appliances.set(key, { state: p.state, since: now, fault: p.fault })
      else {
        if (a.state !== p.state) { a.state = p.state; a.since = now }
        a.fault = p.fault
      }
      break
    }
    case 'supply': {
      const p = event.payload
      const it = s.supplies.get(p.item)
      if (it === undefined) s.supplies.set(p.item, { quantity: p.quantity, capacity: p.capacity })
      else { it.quantity = p.quantity; if (p.capacity !== undefined) it.capacity = p.capacity }
      break
    }
  }
}
