import type { Client, PublishPacket } from 'aedes'
import { parseOwnTopic, type OwnTopic } from '../contract/index.ts'
import { BackpressureError } from '../ingest/batch-writer.ts'
import type { Ingest } from '../ingest/create-ingest.ts'
import type { Logger } from '../platform/logger.ts'
import type { Metrics } from '../platform/metrics.ts'
import { mayPublish } from './acl.ts'
import { serviceMayPublish } from './service-acl.ts'
import type { DeviceSession, ServiceSession, Sessions } from './sessions.ts'

// Messages that were stored as `rejected` are still acknowledged (so a device does not resend a
// payload that can never be valid), but must not reach subscribers as data: they are moved to
// this prefix, which authorizeForward drops and no client may subscribe to.
export const QUARANTINE_PREFIX = '$quarantine/'

export type PublishGate = { accepting: boolean }

/**
 * PUBACK ⇒ stored. Aedes writes PUBACK only after this callback. It runs this hook for every
 * publish of one socket read at once and reads the socket again when all of them have called
 * back, so holding the callback until InfluxDB accepted the batch costs one write round trip
 * per read, not per message (docs/reliability.md). An error passed to the callback closes the
 * connection without PUBACK: under MQTT 3.1.1 that is the only refusal there is
 * [MQTT-3.3.5-2], and the device resends the message when it reconnects.
 */
/** Why a device publish is refused: the metric's reason, the error, and what to log. */
export type Refusal = { reason: 'acl' | 'client_cap', message: string, log: string, fields: Record<string, unknown> }

/**
 * The device publish rules, in one place for both paths (this hook and publish-fast-path.ts):
 * its own station's topic, a channel its kind may send, and room under its cap. Returns the
 * topic's channel, or why not.
 */
export function admitDevicePublish (session: DeviceSession, topic: string, maxPendingPerClient: number): OwnTopic | Refusal {
  const target = parseOwnTopic(topic, session.stationId)
  if (!target) {
    // Also covers $SYS/...: a custom authorizePublish replaces Aedes' own $SYS guard.
    return { reason: 'acl', message: `publish to ${topic.slice(0, 200)} not allowed`, log: 'publish outside own station refused; closing connection', fields: { device: session.deviceId, station: session.stationId, topic: topic.slice(0, 200) } }
  }
  if (!mayPublish(session.kind, target.channel)) {
    return { reason: 'acl', message: `a ${session.kind} device may not publish ${target.channel}`, log: 'channel not allowed for this device kind; closing connection', fields: { device: session.deviceId, kind: session.kind, channel: target.channel } }
  }
  // One device flooding while InfluxDB is slow must not take the shared buffer from the
  // others: past its cap it is disconnected (no PUBACK), keeps its messages and resends.
  if (session.pending >= maxPendingPerClient) {
    return { reason: 'client_cap', message: 'too many publishes awaiting storage', log: 'too many unacknowledged publishes; closing connection', fields: { device: session.deviceId, pending: session.pending } }
  }
  return target
}

export const isRefusal = (r: OwnTopic | Refusal): r is Refusal => 'reason' in r

export function createAuthorizePublish (deps: { sessions: Sessions, ingestDevicePublish: DeviceIngest, logger: Logger, gate: PublishGate, maxPendingPerClient: number, orphanWill: (will: PublishPacket, done: (err: Error | null) => void) => void, metrics?: Metrics }) {
  const { sessions, ingestDevicePublish, logger, gate, maxPendingPerClient, metrics } = deps
  const refuse = (reason: string, message: string, done: (err: Error) => void) => {
    metrics?.refused.inc({ reason })
    done(new Error(message))
  }

  // A service never reaches ingest: it may only send commands to stations in its scope, which
  // go to their subscribers (the station's devices) and are not stored, so the PUBACK means
  // "accepted by the broker" here.
  function publishAsService (session: ServiceSession, packet: PublishPacket, done: (err?: Error | null) => void): void {
    if (!serviceMayPublish(session, packet.topic)) {
      logger.warn({ service: session.serviceId, topic: packet.topic.slice(0, 200) }, 'publish not allowed for this service; closing connection')
      return refuse('acl', `publish to ${packet.topic.slice(0, 200)} not allowed`, done)
    }
    // A retained command would be replayed to the station at every (re)subscription.
    packet.retain = false
    logger.info({ service: session.serviceId, topic: packet.topic.slice(0, 200) }, 'command relayed')
    done(null)
  }

  return function authorizePublish (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    // Only Aedes' will sweep passes no client: the will of a client of a dead broker.
    if (client === null) return deps.orphanWill(packet, done)
    const session = sessions.get(client)
    if (!session) return refuse('unauthenticated', 'not authenticated', done)
    if (!gate.accepting) return refuse('shutdown', 'broker is shutting down', done)
    if (session.principal === 'service') return publishAsService(session, packet, done)
    const target = admitDevicePublish(session, packet.topic, maxPendingPerClient)
    if (isRefusal(target)) {
      logger.warn(target.fields, target.log)
      return refuse(target.reason, target.message, done)
    }
    // Only the status channel is state ("online since…"); a retained door event would be
    // replayed to every new subscriber as if it had just happened.
    if (target.channel !== 'status' || target.batch) packet.retain = false
    ingestDevicePublish(session, target, packet, done)
  }
}

export type DevicePublishDeps = { ingest: Ingest, logger: Logger, metrics?: Metrics | undefined }

/**
 * Hands an authorized device publish to ingest and calls back when it is stored (then the
 * PUBACK may go out), or with the error that kept it out (then the connection must close
 * without PUBACK). Shared by the Aedes hook above and the fast path (publish-fast-path.ts).
 */
export function createDeviceIngest (deps: DevicePublishDeps) {
  const { ingest, logger, metrics } = deps
  return function ingestDevicePublish (session: DeviceSession, target: OwnTopic, packet: PublishPacket, done: (err: Error | null) => void): void {
    session.pending++
    ingest.handleMessage({ stationId: session.stationId, channel: target.channel, batch: target.batch, deviceId: session.deviceId, payload: packet.payload as Buffer }, (err, outcome) => {
      session.pending--
      if (err) {
        logger.warn({ device: session.deviceId, err: err.message }, 'message not stored; closing connection without PUBACK')
        metrics?.refused.inc({ reason: err instanceof BackpressureError ? 'backpressure' : 'not_stored' })
        return done(err)
      }
      if (outcome!.rejected > 0) {
        packet.topic = QUARANTINE_PREFIX + packet.topic
        packet.retain = false
      }
      done(null)
    })
  }
}

export type DeviceIngest = ReturnType<typeof createDeviceIngest>
