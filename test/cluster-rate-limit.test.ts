// API rate limits with CLUSTER=redis: two API instances (as two nodes behind a load balancer)
// with their own Redis connections count in one real redis-server, so a client gets its
// allowance once, not once per node; without Redis each instance counts on its own.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { startRedis, type RedisServer } from '../scripts/redis-server.ts'
import { apiTokens } from './support/api-tokens.ts'

const registry = openRegistry(':memory:')
await registry.addStation({ id: 'rl-1', name: 'One' })
const as = await apiTokens(registry)
const ok = async () => ({ ok: true })
const apps: Array<ReturnType<typeof buildApp>> = []
const clients: Redis[] = []
let dir: string
let redis: RedisServer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-rl-'))
  redis = await startRedis({ dataDir: join(dir, 'redis') })
}, 180_000)
afterAll(async () => {
  for (const a of apps) await a.close()
  for (const c of clients) await c.quit()
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
  registry.close()
})

/** One API node; with `shared`, its counters are in the test's Redis (its own connection). */
function node (shared: boolean) {
  const rateLimitRedis = shared ? new Redis(redis.url, { maxRetriesPerRequest: 1 }) : undefined
  if (rateLimitRedis) clients.push(rateLimitRedis)
  const a = buildApp({
    registry,
    influx: createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'x' }),
    logger: createLogger('silent'),
    probes: { influx: ok, broker: ok },
    security: { rateLimitMax: 3, signInRateLimitMax: 2, rateLimitWindowMs: 600_000 },
    ...(rateLimitRedis ? { rateLimitRedis } : {})
  })
  apps.push(a)
  return a
}

const statuses = async (calls: Array<() => Promise<{ statusCode: number }>>) => {
  const out: number[] = []
  for (const call of calls) out.push((await call()).statusCode)
  return out
}

test('with Redis, two nodes share one allowance per token and one sign-in allowance per address', async () => {
  const [a, b] = [node(true), node(true)]
  const get = (n: typeof a) => () => n.inject({ url: '/stations', headers: as.viewer })
  expect(await statuses([get(a), get(b), get(a), get(b)])).toEqual([200, 200, 200, 429])
  // Another token has its own allowance.
  expect((await a.inject({ url: '/stations', headers: as.admin })).statusCode).toBe(200)
  const signIn = (n: typeof a) => () => n.inject({ method: 'POST', url: '/session', payload: { token: 'not-a-token' } })
  expect(await statuses([signIn(a), signIn(b), signIn(a)])).toEqual([401, 401, 429])
})

test('without Redis each node counts on its own (what CLUSTER=redis fixes)', async () => {
  const [a, b] = [node(false), node(false)]
  const get = (n: typeof a) => () => n.inject({ url: '/stations', headers: as.operator })
  expect(await statuses([get(a), get(b), get(a), get(b)])).toEqual([200, 200, 200, 200])
})
