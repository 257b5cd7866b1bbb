import { Readable } from 'node:stream'
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
  return { instance: withStreams(instance), close: () => instance.destroy() }
}

// Aedes 1.2 pipes what these return (`stream.pipe(...)`), as aedes-persistence 11 (memory)
// provides; aedes-persistence-redis 12 returns async generators instead. Readable.from bridges
// the two without buffering.
const STREAM_METHODS = ['createRetainedStreamCombi', 'createRetainedStream', 'outgoingStream', 'streamWill', 'getClientList'] as const

function withStreams<T extends object> (persistence: T): T {
  // Methods are looked up on every publish: bind each once.
  const cache = new Map<string | symbol, unknown>()
  return new Proxy(persistence, {
    get (target, key, receiver) {
      if (cache.has(key)) return cache.get(key)
      const value = Reflect.get(target, key, receiver) as unknown
      if (typeof value !== 'function') return value
      const bound = value.bind(target) as (...args: unknown[]) => unknown
      const wrapped = !(STREAM_METHODS as readonly (string | symbol)[]).includes(key) ? bound : (...args: unknown[]) => {
        const result = bound(...args)
        return result !== null && typeof result === 'object' && typeof (result as { pipe?: unknown }).pipe !== 'function' &&
          Symbol.asyncIterator in result
          ? Readable.from(result as AsyncIterable<unknown>)
          : result
      }
      cache.set(key, wrapped)
      return wrapped
    }
  })
}
