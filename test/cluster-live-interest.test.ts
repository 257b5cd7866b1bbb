// The cluster-wide view of subscriptions (cluster/live-interest.ts) on a real redis-server: what
// one node adds, every node (running or started later) matches; MQTT's matching rules.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createLiveInterest, topicMatches, type LiveInterest } from '../cluster/live-interest.ts'
import { createLogger } from '../platform/logger.ts'
import { startRedis, type RedisServer } from '../scripts/redis-server.ts'

let dir: string
let redis: RedisServer
const conns: Redis[] = []
const interests: LiveInterest[] = []
const logger = createLogger('silent')

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-live-interest-'))
  redis = await startRedis({ dataDir: join(dir, 'redis') })
}, 60_000)

afterAll(async () => {
  for (const i of interests) await i.close()
  for (const c of conns) c.disconnect()
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
})

async function node (): Promise<LiveInterest> {
  const conn = new Redis(redis.url)
  conns.push(conn)
  const i = await createLiveInterest({ redis: conn, logger })
  interests.push(i)
  return i
}

test('MQTT topic matching [MQTT-4.7.1]', () => {
  expect(topicMatches('stations/#', 'stations/s1/environment')).toBe(true)
  expect(topicMatches('stations/s1/#', 'stations/s1')).toBe(true) // `#` includes the parent level
  expect(topicMatches('stations/+/door', 'stations/s1/door')).toBe(true)
  expect(topicMatches('stations/+/door', 'stations/s1/environment')).toBe(false)
  expect(topicMatches('stations/+', 'stations/s1/door')).toBe(false)
  expect(topicMatches('stations/s1/door', 'stations/s1/door')).toBe(true)
  expect(topicMatches('stations/s1/door', 'stations/s1')).toBe(false)
  expect(topicMatches('stations/s2/#', 'stations/s1/door')).toBe(false)
  expect(topicMatches('#', '$SYS/x/heartbeat')).toBe(false) // [MQTT-4.7.2-1]
  expect(topicMatches('+/x/heartbeat', '$SYS/x/heartbeat')).toBe(false)
})

test('a filter added on one node is matched on every node, including one started afterwards', { timeout: 30_000 }, async () => {
  const a = await node()
  const b = await node()
  expect(a.matches('stations/s1/environment')).toBe(false)
  expect(b.matches('stations/s1/environment')).toBe(false) // cached "no" ...
  await a.add('stations/s1/#')
  expect(a.matches('stations/s1/environment')).toBe(true) // at once on the granting node
  // ... dropped when B hears of the filter (announced before add() resolved).
  for (const end = Date.now() + 10_000; !b.matches('stations/s1/environment') && Date.now() < end;) await new Promise((r) => setTimeout(r, 20))
  expect(b.matches('stations/s1/environment')).toBe(true)
  expect(b.matches('stations/s2/environment')).toBe(false)
  const c = await node()
  expect(c.matches('stations/s1/door')).toBe(true)
  expect(c.matches('stations/s2/door')).toBe(false)
})
