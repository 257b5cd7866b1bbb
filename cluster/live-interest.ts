// Which stored messages are worth forwarding over the cluster's bus (cluster/mq-emitter.ts).
// Every node stores what its own devices publish; the bus only carries the copy subscribers
// (service clients, hubs) receive. Forwarding every stored message through Redis cost one
// PUBLISH, a msgpack encoding and a Redis round trip per message, whether anyone listened or
// not (issue 15: with --workers 2 the stack spent twice the CPU per message). So a node forwards
// a stored message only when some subscription granted anywhere in the cluster can match it.
//
// The subscriptions' topic filters are kept in a Redis set, and every node holds a copy: a node
// granting a subscription adds its filter to the set, then announces it on a channel, and only
// then answers the SUBSCRIBE, so the other nodes forward to it from (about) the moment the
// subscriber has its SUBACK. A node (re)connecting to Redis re-reads the whole set.
//
// The set only grows, as the single-process flag it replaces (sessions.ts) never reset: a
// subscriber that left may come back with a persistent session whose offline queue must keep
// filling (with Redis persistence that queue is in Redis, filled by whichever node forwards).
// Filters are few (one or two per service and hub), so a match is a short loop, and the answer
// per topic is cached until the set changes.
import type { Redis } from 'ioredis'
import type { Logger } from '../platform/logger.ts'

export const FILTERS_KEY = 'waystation:live-filters'
export const FILTERS_CHANNEL = 'waystation:live-filters'
// Topics are `stations/{id}/{channel}`: a few per station, so this bounds a province's fleet.
const MAX_CACHED_TOPICS = 200_000

/** MQTT topic matching [MQTT-4.7.1]: `+` one level, `#` this level and every one below. */
export function topicMatches (filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with `$`.
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

export type LiveInterest = {
  /** Some subscription granted on some node can match `topic`. */
  matches (topic: string): boolean
  /** A subscription was granted here: resolves once every node has been told. */
  add (filter: string): Promise<void>
  close (): Promise<void>
}

export async function createLiveInterest (o: { redis: Redis, logger: Logger }): Promise<LiveInterest> {
  const { redis, logger } = o
  // Its own connection: a subscribed ioredis connection takes no other commands.
  const sub = redis.duplicate()
  sub.on('error', () => {}) // the main connection's handler logs Redis errors
  const filters = new Set<string>()
  // Filters known to be in Redis' set (read from it, or added there by this node).
  const announced = new Set<string>()
  let cache = new Map<string, boolean>()
  const learn = (filter: string): void => {
    if (filters.has(filter)) return
    filters.add(filter)
    cache = new Map()
  }
  const fromRedis = (filter: string): void => { announced.add(filter); learn(filter) }
  // Subscribe first, then read the set: a filter added in between arrives by one or the other.
  sub.on('message', (_channel: string, filter: string) => fromRedis(filter))
  await sub.subscribe(FILTERS_CHANNEL)
  for (const f of await redis.smembers(FILTERS_KEY)) fromRedis(f)
  // After a lost connection, announcements made meanwhile were missed (ioredis re-subscribes).
  sub.on('ready', () => {
    redis.smembers(FILTERS_KEY).then((all) => { for (const f of all) fromRedis(f) }, (err: Error) => {
      logger.warn({ err: err.message }, 'cannot re-read the subscriptions of the other nodes')
    })
  })

  return {
    matches (topic: string): boolean {
      if (filters.size === 0) return false
      let m = cache.get(topic)
      if (m === undefined) {
        m = false
        for (const f of filters) if (topicMatches(f, topic)) { m = true; break }
        if (cache.size >= MAX_CACHED_TOPICS) cache = new Map()
        cache.set(topic, m)
      }
      return m
    },
    async add (filter: string): Promise<void> {
      if (announced.has(filter)) return
      // Here at once, whether or not Redis answers: this node's own subscribers are served.
      // Announced again at the next grant when Redis failed now.
      learn(filter)
      await redis.sadd(FILTERS_KEY, filter)
      await redis.publish(FILTERS_CHANNEL, filter)
      announced.add(filter)
    },
    async close (): Promise<void> {
      await sub.quit().catch(() => sub.disconnect())
    }
  }
}
