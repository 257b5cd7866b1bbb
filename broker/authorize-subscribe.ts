import type { Client, Subscription } from 'aedes'
import { maySubscribe } from './acl.ts'
import type { DeviceSessions } from './device-sessions.ts'

/**
 * Subscriptions outside what acl.ts allows (`$SYS/#`, `#`, other stations, and for most device
 * kinds anything but their own station's commands) get SUBACK 0x80 [MQTT-3.9.3-2] while the
 * connection stays up.
 */
export function createAuthorizeSubscribe (deps: { sessions: DeviceSessions }) {
  return function authorizeSubscribe (client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void): void {
    const session = deps.sessions.get(client)
    if (!session || !maySubscribe(session.kind, session.stationId, sub.topic)) return done(null, null)
    done(null, sub)
  }
}
