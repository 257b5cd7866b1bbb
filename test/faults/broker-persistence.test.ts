import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startRedis, type RedisServer } from '../../scripts/redis-server.ts'
import { connectDevice } from '../support/device.ts'
import { startTestStack } from '../support/stack.ts'

// BROKER_PERSISTENCE=redis: what a broker restart must not lose.
let dir: string
let redis: RedisServer
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-persist-'))
  redis = await startRedis({ dataDir: join(dir, 'redis') })
}, 120_000)
afterAll(async () => {
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
})

test('persistent sessions, retained status and queued commands survive a broker restart', async () => {
  const env = { BROKER_PERSISTENCE: 'redis', REDIS_URL: redis.url, REGISTRY_PATH: join(dir, 'registry.sqlite'), INFLUX_DB: 'persist' }
  const first = await startTestStack(env)
  const S = 'sz-persist-1'
  const secrets = await first.addStation({ id: S, name: 'Persist' }, [`${S}-door`, `${S}-screen`])
  const door = `${S}-door`

  const device = await connectDevice(first.mqttUrl, door, secrets[door]!, { clean: false })
  await device.subscribeAsync(`stations/${S}/commands/#`, { qos: 1 })
  await device.publishAsync(`stations/${S}/status`, JSON.stringify({ device: door, ts: Date.UTC(2026, 7, 1), seq: 1, state: 'online', firmware: '2.4.1' }), { qos: 1, retain: true })
  await device.endAsync()

  // A command for the station while its door controller is offline: queued in its session.
  await new Promise<void>((resolve, reject) => first.broker.aedes.publish({
    cmd: 'publish', topic: `stations/${S}/commands/open-door`, payload: Buffer.from('{"reason":"restock"}'), qos: 1, retain: false, dup: false
  }, (err?: Error) => (err ? reject(err) : resolve())))
  await first.stop({ keepData: true })

  const second = await startTestStack(env)
  try {
    const received: Array<{ topic: string, payload: string }> = []
    // Listen for messages before CONNECT: the queued command arrives right after CONNACK.
    const back = mqtt.connect(second.mqttUrl, { clientId: door, username: door, password: secrets[door]!, protocolVersion: 4, clean: false, reconnectPeriod: 0, manualConnect: true })
    back.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }))
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      back.once('connect', (packet) => resolve(packet))
      back.once('error', reject)
      back.connect()
    })
    expect(connack.sessionPresent).toBe(true) // [MQTT-3.2.2-2]
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
    expect(received).toEqual([{ topic: `stations/${S}/commands/open-door`, payload: '{"reason":"restock"}' }])
    await back.endAsync()

    const screen = await connectDevice(second.mqttUrl, `${S}-screen`, secrets[`${S}-screen`]!)
    const retained = new Promise<{ state: string, firmware: string }>((resolve) => screen.once('message', (_t, p) => resolve(JSON.parse(p.toString()))))
    await screen.subscribeAsync(`stations/${S}/status`, { qos: 1 })
    expect(await retained).toMatchObject({ state: 'online', firmware: '2.4.1' })
    await screen.endAsync()
  } finally {
    await second.stop()
  }
}, 60_000)
