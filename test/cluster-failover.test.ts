// Issue 15's acceptance scenario for cluster mode: two `waystation start` nodes (CLUSTER=redis)
// on one redis-server, one registry and one InfluxDB database; stations spread over both. A
// command published on node B reaches a device on node A, and B's SSE stream shows what A
// stored. Then node A is SIGKILLed under load: its stations reconnect to B (their clients know
// both nodes, as behind a load balancer) and every event is stored exactly once (count and
// seq checksum per device: what A stored before the kill without a PUBACK reaching the device
// is sent again to B and lands on the same InfluxDB point). Run twice: the registry in a shared
// SQLite file (REGISTRY_PATH), then in PostgreSQL (REGISTRY_URL, a shared credential key file).
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import type { StationLive } from '../api/live/schemas.ts'
import { influxClient } from '../platform/influx.ts'
import { openPostgresRegistry, openRegistry, type Registry } from '../registry/open-registry.ts'
import { startRedis } from '../scripts/redis-server.ts'
import { bearer, mintToken } from './support/api-tokens.ts'
import { connectDevice } from './support/device.ts'
import { createLoadDevice, type LoadDevice } from './support/load-device.ts'
import { createTestPostgresDatabase } from './support/postgres.ts'
import { expectEveryEventStoredOnce } from './support/stored-once.ts'
import { openSse, type SseEvent, type SseItem } from './support/sse-client.ts'
import { createStackProcess } from './support/stack-process.ts'

const STATIONS = 16
const RATE = 2 // events/s per device
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (cond: () => boolean | Promise<boolean>, what: string, ms = 90_000) => {
  for (const end = Date.now() + ms; Date.now() < end;) { if (await cond()) return; await sleep(200) }
  throw new Error(`timed out waiting for ${what}`)
}
const stationId = (i: number) => `fo-${String(i).padStart(2, '0')}`

type Backend = 'sqlite' | 'postgres'
type StackProcess = Awaited<ReturnType<typeof createStackProcess>>
type Cluster = {
  nodes: { a: StackProcess, b: StackProcess }
  influx: ReturnType<typeof influxClient>
  /** The registry both nodes use, opened by the test as well (its provisioning, its checks). */
  registry: Registry
  /** The nodes' DATA_DIR: with REGISTRY_URL, no SQLite file may appear in it. */
  dataDir: string
  auth: { authorization: string }
  secrets: Map<string, string>
}

/**
 * Redis, a fresh InfluxDB database, the registry on `backend` provisioned with the stations,
 * devices and a service, and the two nodes. Every part is pushed on `cleanup` as soon as it
 * exists, so a start that fails half-way still leaves nothing behind.
 */
async function startCluster (backend: Backend, cleanup: Array<() => Promise<unknown>>): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), `waystation-failover-${backend}-`))
  cleanup.push(() => rm(dir, { recursive: true, force: true }))
  const redis = await startRedis({ dataDir: join(dir, 'redis') })
  cleanup.push(() => redis.stop())
  const db = `cluster_fo_${randomBytes(4).toString('hex')}`
  const influx = influxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: db })
  cleanup.push(() => influx.dropDatabase(db))
  const dataDir = join(dir, 'data')
  let registryEnv: Record<string, string>
  let registry: Registry
  if (backend === 'postgres') {
    const pg = await createTestPostgresDatabase('cluster_fo')
    cleanup.push(() => pg.drop())
    // The key is shared by every node of a PostgreSQL registry; the test's open creates the file.
    registryEnv = { REGISTRY_URL: pg.url, CREDENTIAL_KEY_FILE: join(dir, 'keys', 'credential.key') }
    registry = await openPostgresRegistry(pg.url, { credentialKeyFile: registryEnv.CREDENTIAL_KEY_FILE })
  } else {
    registryEnv = { REGISTRY_PATH: join(dir, 'registry.sqlite') }
    registry = openRegistry(registryEnv.REGISTRY_PATH!)
  }
  cleanup.push(async () => registry.close())
  const secrets = new Map<string, string>()
  for (let i = 0; i < STATIONS; i++) {
    await registry.addStation({ id: stationId(i), name: `Failover ${i}` })
    secrets.set(`${stationId(i)}-door`, (await registry.addDevice(stationId(i), `${stationId(i)}-door`, 'door')).secret)
  }
  secrets.set(`${stationId(0)}-hub`, (await registry.addDevice(stationId(0), `${stationId(0)}-hub`, 'hub')).secret)
  secrets.set('ops', (await registry.services.add({ id: 'ops', name: 'Operations', scope: { kind: 'all' }, permission: 'subscribe+commands' })).secret)
  const auth = bearer(await mintToken(registry, 'viewer'))
  const env = {
    CLUSTER: 'redis',
    REDIS_URL: redis.url,
    DATA_DIR: dataDir,
    ...registryEnv,
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DB: db,
    METRICS_PUBLIC: 'true'
  }
  const nodes = { a: await createStackProcess({ ...env, BROKER_ID: 'node-a' }), b: await createStackProcess({ ...env, BROKER_ID: 'node-b' }) }
  cleanup.push(() => Promise.all([nodes.a.stop('SIGTERM'), nodes.b.stop('SIGTERM')]))
  await Promise.all([nodes.a.start(), nodes.b.start()])
  return { nodes, influx, registry, dataDir, auth, secrets }
}

describe.each(['sqlite', 'postgres'] as const)('registry on %s', (backend) => {
  let cluster: Cluster
  const cleanup: Array<() => Promise<unknown>> = []
  const clients: MqttClient[] = []

  beforeAll(async () => {
    cluster = await startCluster(backend, cleanup)
  }, 180_000)

  afterAll(async () => {
    for (const c of clients) c.end(true)
    // Last started, first stopped; one failing step does not skip the others.
    for (const step of cleanup.reverse()) await step().catch((err: Error) => console.error(`[failover ${backend}] cleanup: ${err.message}`))
  }, 60_000)

  test('node A SIGKILLed under load: its stations move to B, every event stored exactly once; before that, a command from B reaches A and B streams what A stored', { timeout: 300_000 }, async () => {
    const { nodes, influx, registry, dataDir, auth, secrets } = cluster
    // Even stations start on A, odd ones on B; each device knows the other node too.
    const onA = (i: number) => i % 2 === 0
    const baseTs = Date.now() - 3_600_000
    const devices: LoadDevice[] = Array.from({ length: STATIONS }, (_, i) => createLoadDevice({
      url: onA(i) ? nodes.a.mqttUrl : nodes.b.mqttUrl,
      failover: [onA(i) ? nodes.b.mqttUrl : nodes.a.mqttUrl],
      stationId: stationId(i),
      deviceId: `${stationId(i)}-door`,
      secret: secrets.get(`${stationId(i)}-door`)!,
      ratePerSec: RATE,
      baseTs: baseTs + i // distinct timestamps per device
    }))
    try {
      // B's live stream of a station whose device is on A.
      const sse = await openSse(`${nodes.b.apiUrl}/live/stream?station=${stationId(0)}`, auth)
      await sse.waitFor((i): i is SseEvent => 'event' in i && i.event === 'snapshot', 30_000)
      devices.forEach((d) => d.start())
      await waitFor(() => devices.every((d) => d.acked().size >= 4), 'every device publishing')
      await sse.waitFor((i: SseItem) => 'event' in i && i.event === 'station' && ((JSON.parse(i.data) as StationLive).visitsToday ?? 0) > 0, 60_000)
      await sse.close()
      // The nodes work on the registry the test provisioned: their presence records of every
      // door device are there (written by the brokers, read here through the test's own open).
      await waitFor(async () => {
        const doors = (await registry.presence.allDevices()).filter((d) => d.kind === 'door')
        return doors.length === STATIONS && doors.every((d) => d.connected)
      }, `every door device's presence in the ${backend} registry`)

      // A command published by a service on B reaches the station's hub on A.
      const hub = await connectDevice(nodes.a.mqttUrl, `${stationId(0)}-hub`, secrets.get(`${stationId(0)}-hub`)!)
      clients.push(hub)
      const commands: string[] = []
      hub.on('message', (topic) => commands.push(topic))
      await hub.subscribeAsync(`stations/${stationId(0)}/commands/#`, { qos: 1 })
      const ops = await mqtt.connectAsync(nodes.b.mqttUrl, { clientId: 'ops:failover', username: 'ops', password: secrets.get('ops')!, protocolVersion: 4, reconnectPeriod: 0 })
      clients.push(ops)
      await ops.publishAsync(`stations/${stationId(0)}/commands/unlock`, JSON.stringify({ by: 'ops' }), { qos: 1 })
      await waitFor(() => commands.length > 0, 'the command from B at the hub on A')
      expect(commands).toEqual([`stations/${stationId(0)}/commands/unlock`])

      // SIGKILL A under load: A's stations reconnect to B and carry on.
      const atKill = devices.map((d) => d.acked().size)
      expect(await nodes.a.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' })
      await waitFor(() => devices.every((d, k) => d.acked().size >= atKill[k]! + 6), 'every device acknowledged again, A\'s through B')

      // Exactly once: every produced event acknowledged, and stored once.
      await expectEveryEventStoredOnce(influx, devices)
      // A's stations are on B now: B's broker has every device connected.
      const text = await (await fetch(`${nodes.b.apiUrl}/metrics`)).text()
      const connected = Number(/^waystation_mqtt_connected_clients(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? NaN)
      expect(connected).toBeGreaterThanOrEqual(STATIONS)
      // Nothing opens a SQLite file of its own in DATA_DIR: with REGISTRY_URL everything (registry,
      // rollup state) is in PostgreSQL; with REGISTRY_PATH the files are beside the registry.
      const files = await readdir(dataDir, { recursive: true }).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return []; throw err })
      expect(files.filter((f) => f.includes('.sqlite'))).toEqual([])
    } finally {
      await Promise.all(devices.map((d) => d.end()))
    }
  })
})
