import type { Config } from '../platform/config.ts'

export type BrokerPersistence = { instance: unknown, close (): Promise<void> } | null

/**
 * Where the broker keeps sessions, subscriptions, offline QoS 1 queues, retained messages and
 * wills. `memory` (default): lost on restart, fine for a single broker whose devices hold their
 * own data. `redis`: survives broker restarts and is the base of a cluster.
 *
 * Redis rather than MongoDB because Debian ships redis-server (our scripts start it the same
 * way as influxd), and the cluster mode planned for provinces is built on Redis anyway.
 * aedes-persistence-redis 12 carries the fix for GHSA-p8r9-qf8w-p73r; Aedes 1.2's optional peer
 * range still says ^11, hence the `overrides` entry in package.json.
 */
export async function createPersistence (config: Pick<Config, 'BROKER_PERSISTENCE' | 'REDIS_URL'>): Promise<BrokerPersistence> {
  if (config.BROKER_PERSISTENCE === 'memory') return null
  if (!config.REDIS_URL) throw new Error('BROKER_PERSISTENCE=redis needs REDIS_URL')
  const { default: RedisPersistence } = await import('aedes-persistence-redis/asyncPersistence.js')
  const url = new URL(config.REDIS_URL)
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0
  const instance = new RedisPersistence({
    host: url.hostname,
    port: Number(url.port || 6379),
    db,
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {})
  })
  return { instance, close: () => instance.destroy() }
}
