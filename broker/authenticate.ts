import { createHash } from 'node:crypto'
import type { AuthenticateError, Client } from 'aedes'
import type { Logger } from '../platform/logger.ts'
import type { Metrics } from '../platform/metrics.ts'
import type { Registry } from '../registry/open-registry.ts'
import type { DeviceSessions } from './device-sessions.ts'
import { remoteAddress, type SourceLimits } from './source-limits.ts'

type Done = (error: AuthenticateError | null, success: boolean | null) => void

function refuse (code: 4 | 5, message: string): AuthenticateError {
  // [MQTT-3.2.2-5] CONNACK return code 4: bad user name or password; 5: not authorized.
  return Object.assign(new Error(message), { returnCode: code as AuthenticateError['returnCode'] })
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url')

/**
 * Devices connect with username = device id, password = device secret. scrypt makes each
 * check cost ~50 ms of CPU by design; a fleet reconnecting after a broker restart would queue
 * seconds of it, so a successful check is remembered as sha256(secret) against the stored hash
 * it matched. Rotating or revoking changes the stored hash or the row's state, which misses
 * the cache. An address with too many failures is refused before any hashing.
 */
export function createAuthenticate (deps: { registry: Registry, sessions: DeviceSessions, limits: SourceLimits, logger: Logger, metrics?: Metrics }) {
  const { registry, sessions, limits, logger, metrics } = deps
  const verified = new Map<string, { secretDigest: string, secretHash: string }>()

  async function check (client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> {
    const ip = remoteAddress(client)
    const locked = limits.lockedFor(ip)
    if (locked > 0) {
      metrics?.connectionsRefused.inc({ reason: 'locked_out' })
      return refuse(5, `too many failed logins from this address; retry in ${Math.ceil(locked / 1000)} s`)
    }
    if (!username || !password) {
      metrics?.connectionsRefused.inc({ reason: 'no_credentials' })
      return refuse(4, 'username and password required')
    }
    const secret = password.toString('utf8')
    const cached = verified.get(username)
    const device = cached && cached.secretDigest === sha256(secret)
      ? registry.deviceIfHashMatches(username, cached.secretHash)
      : await registry.authenticateDevice(username, secret)
    if (!device) {
      verified.delete(username)
      metrics?.connectionsRefused.inc({ reason: 'bad_credentials' })
      const nowLocked = limits.recordFailure(ip)
      logger.warn({ clientId: client.id.slice(0, 64), username: username.slice(0, 64), ip, lockedOut: nowLocked }, 'device authentication failed')
      return refuse(4, 'bad device id or secret')
    }
    limits.recordSuccess(ip)
    verified.set(username, { secretDigest: sha256(secret), secretHash: device.secretHash })
    sessions.set(client, { deviceId: device.deviceId, stationId: device.stationId, kind: device.kind, ip, pending: 0 })
    return null
  }

  return function authenticate (client: Client, username: Readonly<string | undefined>, password: Readonly<Buffer | undefined>, done: Done): void {
    // Aedes does not catch a rejected promise inside a hook: always call back.
    check(client, username, password).then(
      (err) => done(err, err === null),
      (err: Error) => {
        logger.error({ err: err.message }, 'authentication error')
        done(refuse(5, 'authentication unavailable'), false)
      }
    )
  }
}
