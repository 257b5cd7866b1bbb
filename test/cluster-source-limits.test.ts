// Per-address MQTT limits across the nodes of a cluster: two `waystation start` processes
// (CLUSTER=redis) on one real redis-server, one registry, a real influxd. Wrong secrets sent
// alternately to both nodes lock the address out at the same count as on one node, on both; a
// correct login from another address is not affected; the lockout ends after its time. The
// connection rate per address is one allowance for the cluster, not one per node.
// Clients connect from different loopback addresses (127.0.0.x) to be told apart.
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { sourceKeys } from '../cluster/source-limits-redis.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { startRedis, type RedisServer } from '../scripts/redis-server.ts'
import { createStackProcess } from './support/stack-process.ts'

const S = 'lock-1'
const HUB = `${S}-hub`
const MAX_FAILURES = 4
const LOCKOUT_MS = 4_000
const CONNECTS_PER_WINDOW = 8

let dir: string
let redis: RedisServer
let db: string
let nodes: Array<Awaited<ReturnType<typeof createStackProcess>>> = []
let secret: string

/** One MQTT login to `url` from the local address `ip`: 'connected', or why not. */
function login (url: string, ip: string, password: string): Promise<string> {
  const { port } = new URL(url)
  const client = new mqtt.MqttClient(() => createConnection({ host: '127.0.0.1', port: Number(port), localAddress: ip }),
    { clientId: HUB, username: HUB, password, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 })
  return new Promise<string>((resolve) => {
    client.once('connect', () => { client.end(true); resolve('connected') })
    client.once('error', (err) => { client.end(true); resolve(err.message) })
    client.once('close', () => { client.end(true); resolve('closed without CONNACK') })
  })
}

describe('per-address MQTT limits shared by two nodes (CLUSTER=redis)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'waystation-cluster-limits-'))
    redis = await startRedis({ dataDir: join(dir, 'redis') })
    db = `cluster_limits_${randomBytes(4).toString('hex')}`
    const env = {
      CLUSTER: 'redis',
      REDIS_URL: redis.url,
      REGISTRY_PATH: join(dir, 'registry.sqlite'),
      INFLUX_URL: inject('influxUrl'),
      INFLUX_DB: db,
      MQTT_AUTH_MAX_FAILURES: String(MAX_FAILURES),
      MQTT_AUTH_FAILURE_WINDOW_MS: '60000',
      MQTT_AUTH_LOCKOUT_MS: String(LOCKOUT_MS),
      MQTT_CONNECTS_PER_WINDOW: String(CONNECTS_PER_WINDOW),
      MQTT_CONNECT_WINDOW_MS: '600000'
    }
    const registry = openRegistry(env.REGISTRY_PATH)
    await registry.addStation({ id: S, name: 'Lockout' })
    secret = (await registry.addDevice(S, HUB, 'hub')).secret
    registry.close()
    nodes = [await createStackProcess({ ...env, BROKER_ID: 'node-a' }), await createStackProcess({ ...env, BROKER_ID: 'node-b' })]
    await Promise.all(nodes.map((n) => n.start()))
  }, 180_000)

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop('SIGTERM')))
    await redis?.stop()
    await rm(dir, { recursive: true, force: true })
  }, 60_000)

  test('wrong secrets spread over both nodes lock the address out at the same count, on both; another address logs in; the lockout ends', async () => {
    const [a, b] = nodes.map((n) => n.mqttUrl) as [string, string]
    const ip = '127.0.0.10'
    // MAX_FAILURES - 1 failures, alternating: each node alone saw fewer than half of them.
    for (let i = 0; i < MAX_FAILURES - 1; i++) expect(await login(i % 2 ? b : a, ip, 'wrong')).toMatch(/Bad username or password/)
    // The count is the cluster's: not locked yet...
    expect(await login(b, '127.0.0.11', secret)).toBe('connected')
    // ...and the next failure, wherever it lands, is the one that locks the address.
    expect(await login(a, ip, 'wrong')).toMatch(/Bad username or password/)
    // Locked on both nodes, even with the right secret.
    expect(await login(b, ip, secret)).toMatch(/Not authorized/)
    expect(await login(a, ip, secret)).toMatch(/Not authorized/)
    // Another address is not affected, on either node.
    expect(await login(a, '127.0.0.11', secret)).toBe('connected')
    // The lock is a key with a TTL in Redis (nothing is left behind for ever).
    const conn = new Redis(redis.url)
    try {
      const pttl = await conn.pttl(sourceKeys(ip).lock)
      expect(pttl).toBeGreaterThan(0)
      expect(pttl).toBeLessThanOrEqual(LOCKOUT_MS)
      await new Promise((r) => setTimeout(r, pttl + 200))
    } finally { conn.disconnect() }
    // The lockout has ended, on both nodes.
    expect(await login(b, ip, secret)).toBe('connected')
  }, 60_000)

  test('the connection rate per address is one allowance for the cluster', async () => {
    const [a, b] = nodes.map((n) => n.mqttUrl) as [string, string]
    const ip = '127.0.0.12'
    for (let i = 0; i < CONNECTS_PER_WINDOW; i++) expect(await login(i % 2 ? b : a, ip, secret)).toBe('connected')
    // Each node saw half of the allowance; the next attempt is refused all the same, on both.
    expect(await login(a, ip, secret)).toBe('closed without CONNACK')
    expect(await login(b, ip, secret)).toBe('closed without CONNACK')
    // Every key has a TTL.
    const conn = new Redis(redis.url)
    try {
      const keys = await conn.keys('waystation:source:*')
      expect(keys.length).toBeGreaterThan(0)
      for (const key of keys) expect(await conn.pttl(key)).toBeGreaterThan(0)
    } finally { conn.disconnect() }
  }, 60_000)
})
