import type { Client, PublishPacket } from 'aedes'
import { parseTopic } from '../contract/index.ts'
import type { Ingest } from '../ingest/create-ingest.ts'
import type { Logger } from '../platform/logger.ts'
import type { DeviceSessions } from './device-sessions.ts'

// Messages that were stored as `rejected` are still acknowledged (so a device does not resend a
// payload that can never be valid), but must not reach subscribers as data: they are moved to
// this prefix, which authorizeForward drops and no client may subscribe to.
export const QUARANTINE_PREFIX = '$quarantine/'

export type PublishGate = { accepting: boolean }

/**
 * PUBACK ⇒ stored. Aedes writes PUBACK only after this callback, and keeps reading further
 * publishes from the same client while callbacks are pending, so holding the callback until
 * InfluxDB accepted the batch costs no throughput. An error passed to the callback closes the
 * connection without PUBACK: under MQTT 3.1.1 that is the only refusal there is
 * [MQTT-3.3.5-2], and the device resends the message when it reconnects.
 */
export function createAuthorizePublish (deps: { sessions: DeviceSessions, ingest: Ingest, logger: Logger, gate: PublishGate }) {
  const { sessions, ingest, logger, gate } = deps

  return function authorizePublish (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    const session = sessions.get(client)
    if (!session) return done(new Error('not authenticated'))
    if (!gate.accepting) return done(new Error('broker is shutting down'))
    const target = parseTopic(packet.topic)
    if (!target || target.stationId !== session.stationId) {
      // Also covers $SYS/...: a custom authorizePublish replaces Aedes' own $SYS guard.
      logger.warn({ device: session.deviceId, station: session.stationId, topic: packet.topic.slice(0, 200) }, 'publish outside own station refused; closing connection')
      return done(new Error(`publish to ${packet.topic.slice(0, 200)} not allowed`))
    }
    // Only the status channel is state ("online since…"); a retained door event would be
    // replayed to every new subscriber as if it had just happened.
    if (target.channel !== 'status' || target.batch) packet.retain = false

    ingest.handle({ stationId: target.stationId, channel: target.channel, batch: target.batch, deviceId: session.deviceId, payload: packet.payload as Buffer })
      .then((outcome) => {
        if (outcome.rejected > 0) {
          packet.topic = QUARANTINE_PREFIX + packet.topic
          packet.retain = false
        }
        done(null)
      }, (err: Error) => {
        logger.warn({ device: session.deviceId, err: err.message }, 'message not stored; closing connection without PUBACK')
        done(err)
      })
  }
}
