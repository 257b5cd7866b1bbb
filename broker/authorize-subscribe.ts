import type { Client, Subscription } from 'aedes'
import { TOPIC_ROOT } from '../contract/index.ts'
import type { DeviceSessions } from './device-sessions.ts'

/**
 * A device may subscribe only below its own station (`stations/{own}/...`, e.g. future
 * commands). Anything else, `$SYS/#`, `#` and other stations included, gets SUBACK 0x80
 * [MQTT-3.9.3-2] while the connection stays up.
 */
export function createAuthorizeSubscribe (deps: { sessions: DeviceSessions }) {
  return function authorizeSubscribe (client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void): void {
    const session = deps.sessions.get(client)
    const own = session ? `${TOPIC_ROOT}/${session.stationId}/` : null
    if (own === null || !sub.topic.startsWith(own)) return done(null, null)
    done(null, sub)
  }
}
