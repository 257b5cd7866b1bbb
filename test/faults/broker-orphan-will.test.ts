import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, expect, inject, test } from 'vitest'
import { influxClient } from '../../platform/influx.ts'
import { openRegistry, type Registry } from '../../registry/open-registry.ts'
import { startRedis, type RedisServer } from '../../scripts/redis-server.ts'
import { connectDevice } from '../support/device.ts'
import { createStackProcess } from '../support/stack-process.ts'

// A broker SIGKILLed with devices connected leaves their wills in Redis. Another broker on the
// same Redis (a restart with a new BROKER_ID, a second node) publishes them at its will sweep,
// calling authorizePublish(null, will): the hook used to refuse it, Aedes emitted 'error' with
// nobody listening, and the process exited, again at every start.

const HEARTBEAT_MS = 200 // the sweep runs every 4 heartbeats: 0.8 s
const S = 'orphan-will-1'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (cond: () => boolean | Promise<boolean>, what: string, ms = 60_000) => {
  for (const end = Date.now() + ms; Date.now() < end;) { if (await cond()) return; await sleep(50) }
  throw new Error(`timed out waiting for ${what}`)
}

/** LLEN will: how many wills Redis holds (raw RESP, as scripts/redis-server.ts pings). */
const storedWills = (port: number) => new Promise<number>((resolve, reject) => {
  const socket = connect({ host: '127.0.0.1', port })
  let reply = ''
  socket.once('error', reject)
  socket.once('connect', () => socket.write('*2\r\n$4\r\nLLEN\r\n$4\r\nwill\r\n'))
  socket.on('data', (chunk) => {
    reply += chunk.toString()
    if (!reply.includes('\r\n')) return
    socket.destroy()
    const m = /^:(\d+)\r\n/.exec(reply)
    if (m) resolve(Number(m[1])); else reject(new Error(`unexpected reply ${reply}`))
  })
})

let dir: string
let redis: RedisServer
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-orphan-will-'))
  redis = await startRedis({ dataDir: join(dir, 'redis') })
}, 180_000)
afterAll(async () => {
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
})

test('a killed broker\'s wills: another broker stays up, stores a device\'s will once and records it offline; others are dropped', async () => {
  const db = `orphan_${randomBytes(4).toString('hex')}`
  const env = {
    BROKER_PERSISTENCE: 'redis',
    REDIS_URL: redis.url,
    REGISTRY_PATH: join(dir, 'registry.sqlite'),
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DB: db,
    BROKER_HEARTBEAT_MS: String(HEARTBEAT_MS),
    METRICS_PUBLIC: 'true'
  }
  const registry: Registry = openRegistry(env.REGISTRY_PATH)
  await registry.addStation({ id: S, name: 'Orphan will' })
  await registry.addStation({ id: 'orphan-will-2', name: 'Other' })
  const door = `${S}-door`
  const gone = `${S}-gone` // revoked while its broker is dead
  const liar = `${S}-liar` // its will names another station's topic
  const secrets: Record<string, string> = {}
  for (const id of [door, gone, liar]) secrets[id] = (await registry.addDevice(S, id, 'door')).secret
  const ts = Date.now()
  const offline = (device: string) => JSON.stringify({ device, ts, seq: 7, state: 'offline' })
  const statusOf = (station: string) => `stations/${station}/status`
  const wills: Record<string, { topic: string, payload: string }> = {
    [door]: { topic: statusOf(S), payload: offline(door) },
    [gone]: { topic: statusOf(S), payload: offline(gone) },
    [liar]: { topic: statusOf('orphan-will-2'), payload: offline(liar) }
  }

  const a = await createStackProcess({ ...env, BROKER_ID: 'node-a' })
  const b = await createStackProcess({ ...env, BROKER_ID: 'node-b' })
  const influx = influxClient({ INFLUX_URL: env.INFLUX_URL, INFLUX_DB: db })
  try {
    await a.start()
    for (const id of [door, gone, liar]) {
      const { topic, payload } = wills[id]!
      const client = await connectDevice(a.mqttUrl, id, secrets[id]!, { will: { topic, payload: Buffer.from(payload), qos: 1, retain: true } })
      client.stream.on('error', () => {}) // the broker will vanish under it
      client.on('error', () => {})
    }
    const connected = async () => (await registry.presence.ofStation(S)).filter((p) => p.connected).map((p) => p.deviceId).sort()
    await waitFor(async () => (await connected()).length === 3, 'presence of the three devices on node-a')
    await waitFor(async () => await storedWills(redis.port) === 3, 'three wills in Redis')

    await a.stop('SIGKILL')
    await registry.devices.revoke(gone)

    await b.start()
    // node-b never heard node-a's heartbeats: every will of node-a is orphaned at its first sweep.
    await waitFor(async () => {
      if (!b.alive()) throw new Error('node-b exited')
      return await storedWills(redis.port) === 0
    }, 'the wills deleted by node-b')
    // Still up several sweeps later (before the fix it exited with code 1 at the first).
    await sleep(HEARTBEAT_MS * 4 * 4)
    expect(b.alive()).toBe(true)

    // The valid will was stored once, as the device's own will would have been.
    const rows = await influx.query<{ device: string, state: string }>('SELECT "device", "state" FROM "status" WHERE "station" = $s', { placeholders: { s: S } })
    expect(rows.map((r) => [r.device, r.state])).toEqual([[door, 'offline']])
    const other = await influx.query('SELECT * FROM "status" WHERE "station" = $s', { placeholders: { s: 'orphan-will-2' } })
    expect(other.length).toBe(0)

    // Presence: node-a's connections are gone, whatever became of the wills.
    for (const p of await registry.presence.ofStation(S)) expect(p).toMatchObject({ connected: false, disconnectReason: 'broker lost' })

    // The broker counted what it did. On a loaded machine the first sweep may come before
    // ingest has its database: that will is kept, counted as not stored and an error (logged,
    // not fatal), and stored at a later sweep.
    const metrics = await (await fetch(`${b.apiUrl}/metrics`)).text()
    const count = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? 0)
    expect(count(/^waystation_mqtt_orphan_wills_total\{outcome="published"\} (\d+)$/m)).toBe(1)
    expect(count(/^waystation_mqtt_orphan_wills_total\{outcome="refused"\} (\d+)$/m)).toBe(2)
    const errors = count(/^waystation_broker_errors_total (\d+)$/m)
    expect(errors === 0 || count(/^waystation_mqtt_orphan_wills_total\{outcome="not_stored"\} (\d+)$/m) > 0).toBe(true)
  } finally {
    await a.stop('SIGKILL')
    await b.stop('SIGTERM')
    registry.close()
    await influx.dropDatabase(db).catch(() => {})
  }
}, 180_000)
