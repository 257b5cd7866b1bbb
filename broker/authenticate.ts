import type { AuthenticateError, Client } from 'aedes'
import type { Logger } from '../platform/logger.ts'
import type { Metrics } from '../platform/metrics.ts'
import type { Principal, Registry } from '../registry/open-registry.ts'
import type { VerifySecret } from '../registry/secrets.ts'
import type { Session, Sessions } from './sessions.ts'
import { remoteAddress, type SourceLimits } from './source-limits.ts'

type Done = (error: AuthenticateError | null, success: boolean | null) => void

function refuse (code: 2 | 4 | 5, message: string): AuthenticateError {
  // [MQTT-3.2.2-5] CONNACK return code 2: identifier rejected; 4: bad user name or password;
  // 5: not authorized.
  return Object.assign(new Error(message), { returnCode: code as AuthenticateError['returnCode'] })
}

// A new connection with a client id already connected replaces that connection and takes over
// its persistent session [MQTT-3.1.4-2]. A stolen credential must not be able to do that to
// another station's device (or to a service), so every principal's client ids are its own: its
// id, or its id, ':' and anything (several instances of one backend). Ids cannot contain ':'.
const ownClientId = (clientId: string, id: string) =>
  clientId === id || (clientId.length > id.length + 1 && clientId.startsWith(id) && clientId.charCodeAt(id.length) === 58 /* : */)
const idOf = (p: Principal) => (p.principal === 'device' ? p.deviceId : p.serviceId)

function sessionOf (p: Principal, ip: string): Session {
  return p.principal === 'device'
    ? { principal: 'device', deviceId: p.deviceId, stationId: p.stationId, kind: p.kind, ip, pending: 0 }
    : { principal: 'service', serviceId: p.serviceId, stations: p.stations, commands: p.permission === 'subscribe+commands', ip }
}

/**
 * Devices connect with username = device id, password = device secret; service clients with
 * their service id and secret (the registry keeps the two sets of ids disjoint). Every login
 * reads the credential and checks the secret against its hash: one HMAC-SHA-256, a few
 * microseconds (registry/secrets.ts), so a fleet reconnecting after a restart is not queued
 * behind hashing and nothing needs caching (earlier versions cached verified scrypt checks).
 * A hash in the old scrypt format costs ~4 ms once and is upgraded on that login. An address
 * with too many failures is refused before any hashing. A login that reaches the registry
 * always costs one hash check, known id or not (registry.authenticatePrincipal): the time to
 * the CONNACK does not tell which device or service ids exist.
 */
export function createAuthenticate (deps: { registry: Registry, sessions: Sessions, limits: SourceLimits, logger: Logger, metrics?: Metrics, verify?: VerifySecret }) {
  const { registry, sessions, limits, logger, metrics } = deps
  const verify = deps.verify ?? registry.secrets.verify

  async function check (client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> {
    const ip = remoteAddress(client)
    const locked = await limits.lockedFor(ip)
    if (locked > 0) {
      metrics?.connectionsRefused.inc({ reason: 'locked_out' })
      return refuse(5, `too many failed logins from this address; retry in ${Math.ceil(locked / 1000)} s`)
    }
    if (!username || !password) {
      metrics?.connectionsRefused.inc({ reason: 'no_credentials' })
      return refuse(4, 'username and password required')
    }
    const principal = await registry.authenticatePrincipal(username, password.toString('utf8'), verify)
    if (!principal) {
      metrics?.connectionsRefused.inc({ reason: 'bad_credentials' })
      const nowLocked = await limits.recordFailure(ip)
      logger.warn({ clientId: client.id.slice(0, 64), username: username.slice(0, 64), ip, lockedOut: nowLocked }, 'authentication failed')
      return refuse(4, 'bad device or service id, or secret')
    }
    // Checked after the secret, so it tells nothing to someone who does not have it.
    if (!ownClientId(client.id, idOf(principal))) {
      metrics?.connectionsRefused.inc({ reason: 'client_id' })
      logger.warn({ [principal.principal]: idOf(principal), clientId: client.id.slice(0, 64), ip }, 'client id refused')
      // [MQTT-3.2.2-5] CONNACK return code 2: identifier rejected.
      return refuse(2, `the client id must be the ${principal.principal} id, or that id followed by ':' and a suffix`)
    }
    limits.recordSuccess(ip)
    sessions.set(client, sessionOf(principal, ip))
    if (principal.principal === 'service') {
      logger.info({ service: principal.serviceId, clientId: client.id, stations: principal.stations?.size ?? 'all', commands: principal.permission === 'subscribe+commands' }, 'service connected')
    }
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
