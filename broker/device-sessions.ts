import type { Client } from 'aedes'
import type { DeviceKind } from '../registry/schemas.ts'

export type DeviceSession = {
  deviceId: string
  stationId: string
  kind: DeviceKind
  /** Source address, for lockout and logs. */
  ip: string
  /** Publishes handed to ingest and not yet acknowledged. */
  pending: number
}

// What authentication established about a connection, kept beside the Aedes client instead of
// on it (Aedes owns that object's fields).
export function createDeviceSessions () {
  const sessions = new WeakMap<Client, DeviceSession>()
  return {
    set: (client: Client, session: DeviceSession) => { sessions.set(client, session) },
    get: (client: Client | null): DeviceSession | undefined => (client ? sessions.get(client) : undefined)
  }
}

export type DeviceSessions = ReturnType<typeof createDeviceSessions>
