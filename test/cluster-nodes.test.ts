// Two `waystation start` processes with CLUSTER=redis on one Redis and one registry: the rollup
// job, the alert evaluator and the notifier each run in one of them (a lease each), the job
// learns of events stored by the other node (the stored-event stream), and when its holder is
// SIGKILLed the survivor takes the leases over and carries on.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, inject, test } from 'vitest'
import { leaseKey } from '../cluster/lease.ts'
import { influxClient } from '../platform/influx.ts'
import { ROLLUP_RETENTION_POLICY } from '../platform/influx.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { startRedis, type RedisServer } from '../scripts/redis-server.ts'
import { connectDevice, publishEvent } from './support/device.ts'
import { createStackProcess } from './support/stack-process.ts'

const TTL_MS = 1500
const DAY_MS = 86_400_000
const JOBS = ['rollups', 'alerts', 'notifier']
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (cond: () => boolean | Promise<boolean>, what: string, ms = 90_000) => {
  for (const end = Date.now() + ms; Date.now() < end;) { if (await cond()) return; await sleep(100) }
  throw new Error(`timed out waiting for ${what}`)
}

let dir: string
let redis: RedisServer
let client: Redis
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-cluster-'))
  redis = await startRedis({ dataDir: join(dir, 'redis') })
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 })
}, 180_000)
afterAll(async () => {
  await client?.quit()
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
})

test('leased jobs run on one node, see events stored on the other, and move when their node is killed', { timeout: 240_000 }, async () => {
  const db = `cluster_${randomBytes(4).toString('hex')}`
  const env = {
    CLUSTER: 'redis',
    CLUSTER_LEASE_TTL_MS: String(TTL_MS),
    REDIS_URL: redis.url,
    REGISTRY_PATH: join(dir, 'registry.sqlite'),
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DB: db,
    METRICS_PUBLIC: 'true'
  }
  const registry = openRegistry(env.REGISTRY_PATH)
  const S = 'cluster-1'
  await registry.addStation({ id: S, name: 'Cluster one' })
  const hub = `${S}-hub`
  const secret = (await registry.addDevice(S, hub, 'hub')).secret
  registry.close()
  const nodes = { 'node-a': await createStackProcess({ ...env, BROKER_ID: 'node-a' }), 'node-b': await createStackProcess({ ...env, BROKER_ID: 'node-b' }) }
  const influx = influxClient({ INFLUX_URL: env.INFLUX_URL, INFLUX_DB: db })
  const holderOf = async (job: string) => (await client.get(leaseKey(job)))?.split(':')[0] as keyof typeof nodes | undefined
  // Daily and hourly rollup points of the station on the UTC days around `at`. Not the monthly
  // one: its point sits at the start of the local month and, early in a month, falls inside the
  // window of a day the warm-up did not touch (the test failed on 5 December for that).
  const rollupsAround = async (at: number) => (await influx.query(
    `SELECT * FROM "${ROLLUP_RETENTION_POLICY}"./^(daily|hourly)_station$/ WHERE "station" = $s AND time >= $from AND time < $to`,
    { placeholders: { s: S, from: new Date(at - DAY_MS).toISOString(), to: new Date(at + DAY_MS).toISOString() } })).length
  let seq = 1
  /** A late upload (older than the job's start-up reconciliation of 2 days) through `node`. */
  const uploadThrough = async (node: keyof typeof nodes, at: number) => {
    const device = await connectDevice(nodes[node].mqttUrl, hub, secret)
    await publishEvent(device, S, 'environment', { device: hub, ts: at, seq: seq++, temperature: 21.5 })
    await device.endAsync()
  }
  try {
    await Promise.all(Object.values(nodes).map((n) => n.start()))
    await waitFor(async () => (await Promise.all(JOBS.map(holderOf))).every((h) => h !== undefined), 'every job leased')
    const holder = (await holderOf('rollups'))!
    const other = holder === 'node-a' ? 'node-b' : 'node-a'

    // Warm-up through the holder itself: the job's first look at a new station (its settings
    // recorded, every day with raw events rebuilt) is over before the cross-node check, which
    // would otherwise pass without any feed.
    const warm = Date.now() - 4 * DAY_MS
    await uploadThrough(holder, warm)
    await waitFor(async () => await rollupsAround(warm) > 0, 'the rollup of a day stored through the holder')

    // Stored by the node that does not run the rollup job: the job still rolls the day up.
    const first = Date.now() - 6 * DAY_MS
    expect(await rollupsAround(first)).toBe(0)
    await uploadThrough(other, first)
    await waitFor(async () => await rollupsAround(first) > 0, `the rollup of a day stored through ${other}`)

    // The holder dies: the survivor takes every lease over (no hand-over, so after the TTL) and
    // rolls up what it stores itself from then on.
    await nodes[holder].stop('SIGKILL')
    await waitFor(async () => (await Promise.all(JOBS.map(holderOf))).every((h) => h === other), `every lease on ${other}`)
    const second = Date.now() - 8 * DAY_MS
    expect(await rollupsAround(second)).toBe(0)
    await uploadThrough(other, second)
    await waitFor(async () => await rollupsAround(second) > 0, 'the rollup by the new holder')
  } finally {
    for (const n of Object.values(nodes)) await n.stop('SIGTERM')
    await influx.dropDatabase(db).catch(() => {})
  }
  // A graceful stop gives the leases back at once.
  for (const job of JOBS) expect(await client.exists(leaseKey(job))).toBe(0)
})
