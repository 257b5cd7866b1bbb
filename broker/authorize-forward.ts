import type { AedesPublishPacket, Client } from 'aedes'
import { maySubscribe } from './acl.ts'
import { QUARANTINE_PREFIX } from './authorize-publish.ts'
import { serviceMayReceive } from './service-acl.ts'
import type { Sessions } from './sessions.ts'

/**
 * The last check before a message is written to a subscriber, run per delivery: quarantined
 * messages (stored as rejected) reach no one, and every client receives only what it could
 * subscribe to now. Subscribe-time checks are not enough for persistent sessions: Aedes stores
 * a SUBSCRIBE packet's whole topic list when one of its topics is allowed (refused ones
 * included), queues QoS 1 messages for them while the client is offline and delivers the queue
 * at reconnect through this hook only; and a service's scope may have narrowed since it
 * subscribed. Deliveries to devices are rare (commands, a hub's own station), so the
 * per-message cost stays off the ingest path.
 */
export function createAuthorizeForward (deps: { sessions: Sessions }) {
  return function authorizeForward (client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    if (packet.topic.startsWith(QUARANTINE_PREFIX)) return null
    const session = deps.sessions.get(client)
    if (session === undefined) return null
    const allowed = session.principal === 'device'
      ? maySubscribe(session.kind, session.stationId, packet.topic)
      : serviceMayReceive(session, packet.topic)
    return allowed ? packet : null
  }
}
