import { TOPIC_ROOT, type Channel } from '../contract/index.ts'
import type { DeviceKind } from '../registry/schemas.ts'

// What each kind of device may publish. A stolen shelf sensor cannot fake door events or
// occupancy; `hub` is a station gateway that speaks for all its station's devices.
const PUBLISH: Record<DeviceKind, ReadonlySet<Channel>> = {
  door: new Set(['door', 'door_state', 'status']),
  sensors: new Set(['occupancy', 'environment', 'equipment', 'status']),
  shelf: new Set(['supply', 'status']),
  hub: new Set(['door', 'door_state', 'occupancy', 'environment', 'equipment', 'supply', 'status'])
}

export function mayPublish (kind: DeviceKind, channel: Channel): boolean {
  return PUBLISH[kind].has(channel)
}

/**
 * Devices subscribe to their own station's commands only; a hub (gateway, wall screen) may
 * also follow its own station's live data. Wildcards are fine inside those prefixes, but a
 * `+` or `#` in the station level would reach other stations, so the prefix is compared
 * literally.
 */
export function maySubscribe (kind: DeviceKind, stationId: string, topic: string): boolean {
  if (kind !== 'hub') return isCommandsOnly(stationId, topic)
  const own = `${TOPIC_ROOT}/${stationId}/`
  return topic.startsWith(own) && topic.length > own.length
}

/** A subscription within `stations/{stationId}/commands`, which no data topic can match. */
export function isCommandsOnly (stationId: string, topic: string): boolean {
  const own = `${TOPIC_ROOT}/${stationId}/`
  if (!topic.startsWith(own)) return false
  const rest = topic.slice(own.length)
  return rest === 'commands' || rest.startsWith('commands/')
}
