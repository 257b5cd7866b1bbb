import type { Aedes, Client } from 'aedes'
import type { Logger } from '../platform/logger.ts'
import type { Metrics } from '../platform/metrics.ts'
import { remoteAddress, type SourceLimits } from './source-limits.ts'

/**
 * Runs on CONNECT before authentication (and before any scrypt work): per-address connection
 * rate and the broker-wide connection cap. A refusal closes the socket without CONNACK, which
 * costs the broker nothing and gives a flood nothing to learn.
 */
export function createPreConnect (deps: { aedes: () => Aedes, limits: SourceLimits, maxConnections: number, logger: Logger, metrics?: Metrics }) {
  const { limits, maxConnections, logger, metrics } = deps
  return function preConnect (client: Client, _packet: unknown, done: (err: Error | null, ok: boolean) => void): void {
    const ip = remoteAddress(client)
    const decide = (allowed: boolean): void => {
      if (!allowed) {
        metrics?.connectionsRefused.inc({ reason: 'rate_limited' })
        logger.warn({ ip }, 'connection refused: too many connection attempts from this address')
        return done(new Error('connection rate exceeded'), false)
      }
      if (deps.aedes().connectedClients >= maxConnections) {
        metrics?.connectionsRefused.inc({ reason: 'max_connections' })
        logger.warn({ ip, maxConnections }, 'connection refused: broker at its connection limit')
        return done(new Error('too many connections'), false)
      }
      done(null, true)
    }
    const allowed = limits.allowConnect(ip)
    // This process's counters answer at once; the cluster's (Redis) after a round trip, and
    // they let the connection in when they cannot answer (cluster/source-limits-redis.ts).
    if (typeof allowed === 'boolean') decide(allowed)
    else allowed.then(decide, () => decide(true))
  }
}
