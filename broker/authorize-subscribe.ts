import type { Client, Subscription } from 'aedes'
import { isCommandsOnly, maySubscribe } from './acl.ts'
import { serviceMaySubscribe } from './service-acl.ts'
import type { Sessions } from './sessions.ts'

/**
 * Subscriptions outside what acl.ts allows a device (`$SYS/#`, `#`, other stations, and for
 * most device kinds anything but their own station's commands) or service-acl.ts a service
 * (stations out of scope, a station-level wildcard without scope all) get SUBACK 0x80
 * [MQTT-3.9.3-2] while the connection stays up. Aedes runs this again for the subscriptions of
 * a restored persistent session, so a narrowed scope applies to them too.
 */
export function createAuthorizeSubscribe (deps: {
  sessions: Sessions
  /**
   * In a cluster: tells every node that stored data matching `filter` has a subscriber
   * (cluster/live-interest.ts); the SUBACK waits for it. Never rejects.
   */
  announce?: (filter: string) => Promise<void>
}) {
  return function authorizeSubscribe (client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void): void {
    const session = deps.sessions.get(client)
    const allowed = session !== undefined && (session.principal === 'device'
      ? maySubscribe(session.kind, session.stationId, sub.topic)
      : serviceMaySubscribe(session, sub.topic))
    // Anything but a device's own commands can match live data: from now on, stored data is
    // forwarded to subscribers (publish-fast-path.ts).
    if (allowed && (session.principal === 'service' || !isCommandsOnly(session.stationId, sub.topic))) {
      deps.sessions.markLiveSubscriber()
      if (deps.announce) {
        void deps.announce(sub.topic).then(() => done(null, sub))
        return
      }
    }
    done(null, allowed ? sub : null)
  }
}
