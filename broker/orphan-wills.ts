import type { PublishPacket } from 'aedes'
import type { Logger } from '../platform/logger.ts'
import type { Metrics } from '../platform/metrics.ts'
import type { Registry } from '../registry/open-registry.ts'
import type { Device } from '../registry/schemas.ts'
import { admitDevicePublish, isRefusal, QUARANTINE_PREFIX, type DeviceIngest } from './authorize-publish.ts'
import type { DeviceSession } from './sessions.ts'

/** A will as the persistence stores it: the CONNECT's will plus whose it was. */
export type StoredWill = PublishPacket & { clientId?: string, brokerId?: string }

export type OrphanWillDeps = {
  registry: Registry
  ingestDevicePublish: DeviceIngest
  /** The device's connection through `brokerId` is gone (presence-tracker.ts). */
  lost: (deviceId: string, brokerId: string) => void
  logger: Logger
  metrics?: Metrics | undefined
}

/**
 * The will of a client connected through a broker that died. With a persistence shared between
 * brokers (Redis), every broker sweeps the stored wills every 4 heartbeats and publishes those
 * of brokers it has not heard for 3, calling `authorizePublish(null, will)`: the client was
 * never ours, so there is no session to check it against. It is checked against the registry
 * instead: a device that exists, is not revoked, of an active station, publishing its own
 * station's status (what its own connection could have published). Such a will is stored
 * like the device's own will (ingest) and then published. For any device of the registry the
 * connection through the dead broker is recorded as lost (presence), as a disconnect would be.
 *
 * Anything else is not refused with an error: Aedes would emit 'error' (which used to crash the
 * process), keep the will and meet it again at every sweep, and the error also ends that
 * sweep. It is moved to the quarantine prefix instead, which reaches no subscriber, and not
 * retained, so Aedes publishes it to no one and deletes it. A will that could not be stored
 * (InfluxDB down) is refused with the error: Aedes keeps it and the next sweep tries again.
 */
export function createOrphanWills (deps: OrphanWillDeps) {
  const { registry, ingestDevicePublish, logger, metrics } = deps

  // A device's client id is its id, or its id, ':' and a suffix (authenticate.ts). Read per
  // will of a dead broker's client (a sweep every 4 heartbeats), not per publish.
  function deviceOf (clientId: string): Promise<Device | null> {
    const colon = clientId.indexOf(':')
    return registry.devices.get(colon === -1 ? clientId : clientId.slice(0, colon))
  }

  async function whyNot (device: Device): Promise<string | null> {
    if (device.revokedAt) return 'device revoked'
    if ((await registry.getStation(device.stationId))?.status !== 'active') return 'station not active'
    return null
  }

  function unpublished (will: StoredWill): void {
    will.topic = QUARANTINE_PREFIX + will.topic
    will.retain = false
  }

  function drop (will: StoredWill, why: string, done: (err: Error | null) => void): void {
    logger.warn({ clientId: will.clientId?.slice(0, 64), brokerId: will.brokerId, topic: will.topic.slice(0, 200), why }, 'will of a client of a dead broker refused; deleted unpublished')
    metrics?.orphanWills.inc({ outcome: 'refused' })
    unpublished(will)
    done(null)
  }

  // Aedes starts a sweep every 4 heartbeats even when the last one is still storing: the same
  // will may come again meanwhile. The second waits for the first: published, it is deleted
  // unpublished; not stored, it is kept as well.
  const inFlight = new Map<string, Array<(err: Error | null) => void>>()

  return function authorizeOrphanWill (will: StoredWill, done: (err: Error | null) => void): void {
    if (typeof will.clientId !== 'string') return drop(will, 'no such device', done)
    // Aedes does not catch a rejected promise inside a hook: always call back. A registry that
    // cannot be read keeps the will for the next sweep, as an unstored one is.
    deviceOf(will.clientId).then((device) => authorize(will, device, done), (err: Error) => {
      logger.error({ err: err.message, clientId: will.clientId?.slice(0, 64) }, 'will of a client of a dead broker not checked: registry unavailable')
      done(err)
    })
  }

  function authorize (will: StoredWill, device: Device | null, done: (err: Error | null) => void): void {
    if (!device) return drop(will, 'no such device', done)
    // Whatever becomes of the will, that connection is gone (as a disconnect records it).
    if (will.brokerId !== undefined) deps.lost(device.id, will.brokerId)
    // A registry that cannot answer: refused with the error, kept for the next sweep.
    whyNot(device).then((why) => why ? drop(will, why, done) : admit(will, device, done), (err: Error) => done(err))
  }

  function admit (will: StoredWill, device: Device, done: (err: Error | null) => void): void {
    const session: DeviceSession = { principal: 'device', deviceId: device.id, stationId: device.stationId, kind: device.kind, ip: 'will', pending: 0 }
    const target = admitDevicePublish(session, will.topic, Infinity)
    if (isRefusal(target)) return drop(will, target.message, done)
    if (target.channel !== 'status' || target.batch) return drop(will, 'a will must be the device\'s status', done)
    const key = `${will.brokerId}\n${will.clientId}`
    const waiting = inFlight.get(key)
    if (waiting) {
      waiting.push((err) => { if (!err) unpublished(will); done(err) })
      return
    }
    inFlight.set(key, [])
    ingestDevicePublish(session, target, will, (err) => {
      const others = inFlight.get(key)!
      inFlight.delete(key)
      if (err) {
        metrics?.orphanWills.inc({ outcome: 'not_stored' })
      } else {
        metrics?.orphanWills.inc({ outcome: 'published' })
        logger.info({ device: device.id, brokerId: will.brokerId }, 'will of a device of a dead broker stored and published')
      }
      done(err)
      for (const other of others) other(err)
    })
  }
}
