import type { Client } from 'aedes'
import type { DeviceKind } from '../registry/schemas.ts'

export type DeviceSession = {
  principal: 'device'
  deviceId: string
  stationId: string
  kind: DeviceKind
  /** Source address, for lockout and logs. */
  ip: string
  /** Publishes handed to ingest and not yet acknowledged. */
  pending: number
}

/** A service client: reads the live data of the stations in scope, never publishes data. */
export type ServiceSession = {
  principal: 'service'
  serviceId: string
  /**
   * Station ids in scope, resolved at login; null: every station, the only scope that may put a
   * wildcard at the station level.
   */
  stations: ReadonlySet<string> | null
  /** May publish to `stations/{id}/commands/…` of the stations in scope. */
  commands: boolean
  ip: string
}

export type Session = DeviceSession | ServiceSession

// What authentication established about a connection, kept beside the Aedes client instead of
// on it (Aedes owns that object's fields). `principal` tells the ACL which rules apply; the
// publish hot path tests it once and then reads only device fields.
export function createSessions () {
  const sessions = new WeakMap<Client, Session>()
  let liveSubscriber = false
  return {
    set: (client: Client, session: Session) => { sessions.set(client, session) },
    get: (client: Client | null): Session | undefined => (client ? sessions.get(client) : undefined),
    /** A subscription that live data can match was granted (never reset: see publish-fast-path.ts). */
    markLiveSubscriber: () => { liveSubscriber = true },
    liveSubscriberSeen: () => liveSubscriber
  }
}

export type Sessions = ReturnType<typeof createSessions>
