import { createConnection } from 'node:net'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createAdmin } from '../registry/admin.ts'
import { connectDevice, publishEvent } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

// Device data publishes skip Aedes' publish pipeline (broker/publish-fast-path.ts). What that
// path must still do as Aedes would: keep the connection alive, PUBACK only what is stored,
// mark the device as seen, and forward to subscribers once there can be any.

const waitFor = async (cond: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 200; i++) { if (await cond()) return; await new Promise((r) => setTimeout(r, 25)) }
  throw new Error(`timed out waiting for ${what}`)
}
const S = 'fast-1'
const door = (seq: number) => ({ device: `${S}-door`, ts: Date.UTC(2026, 8, 1, 3) + seq, seq, direction: 'in' as const, method: 'face' as const, result: 'granted' as const })

let stack: TestStack
const secrets: Record<string, string> = {}
beforeAll(async () => {
  stack = await startTestStack()
  const admin = createAdmin(stack.registry)
  await admin.addStation('test', { id: S, name: 'Fast path' })
  for (const [id, kind] of [[`${S}-door`, 'door'], [`${S}-hub`, 'hub']] as const) secrets[id] = (await admin.addDevice('test', S, id, kind)).secret
})
afterAll(async () => { await stack?.stop() })

describe('device publishes on the fast path', () => {
  test('a device that only publishes keeps its connection past its keep-alive (each publish counts)', async () => {
    const client = await connectDevice(stack.mqttUrl, `${S}-door`, secrets[`${S}-door`]!, { keepalive: 1 })
    // MQTT.js would send PINGREQ when idle; stop it so only the publishes keep the session.
    ;(client as unknown as { pingTimer?: { clear (): void } }).pingTimer?.clear()
    // Taken by the fast path, not by Aedes' publish pipeline (which would emit 'publish'): no
    // subscriber exists yet, so nothing is forwarded.
    const viaAedes: string[] = []
    const onPublish = (packet: { topic: string }) => { if (packet.topic.startsWith(`stations/${S}/`)) viaAedes.push(packet.topic) }
    stack.broker.aedes.on('publish', onPublish)
    let closed = false
    const gone = new Promise<void>((resolve) => client.once('close', () => { closed = true; resolve() }))
    // 1 s keep-alive: the broker allows 1.5 s of silence [MQTT-3.1.2-24]; publish every 300 ms for 3 s.
    for (let seq = 1; seq <= 10 && !closed; seq++) {
      await Promise.race([publishEvent(client, S, 'door', door(seq)), gone])
      await new Promise((r) => setTimeout(r, 300))
    }
    expect(closed).toBe(false)
    stack.broker.aedes.off('publish', onPublish)
    expect(viaAedes).toEqual([])
    await client.endAsync()
    const [row] = await stack.query<{ count: number }>(`SELECT count(seq) AS count FROM door WHERE station = '${S}' AND seq <= 10`)
    expect(row?.count).toBe(10)
  })

  test('a subscriber gets stored data from the moment it subscribes, and presence sees the publisher', async () => {
    const dev = await connectDevice(stack.mqttUrl, `${S}-door`, secrets[`${S}-door`]!)
    await publishEvent(dev, S, 'door', door(100)) // nobody subscribed yet: stored, not forwarded
    const hub = await connectDevice(stack.mqttUrl, `${S}-hub`, secrets[`${S}-hub`]!)
    const got: Array<{ topic: string, seq: number }> = []
    hub.on('message', (topic, payload) => got.push({ topic, seq: (JSON.parse(payload.toString()) as { seq: number }).seq }))
    await hub.subscribeAsync(`stations/${S}/door`, { qos: 1 })
    await publishEvent(dev, S, 'door', door(101))
    // Invalid, so stored as `rejected`: acknowledged, but never delivered as data.
    await dev.publishAsync(`stations/${S}/door`, JSON.stringify({ ...door(102), direction: 'sideways' }), { qos: 1 })
    await publishEvent(dev, S, 'door', door(103))
    await waitFor(() => got.length >= 2, 'the two valid events at the hub')
    expect(got).toEqual([{ topic: `stations/${S}/door`, seq: 101 }, { topic: `stations/${S}/door`, seq: 103 }])
    // Presence: a publish a second after connecting moves "last seen" past the connect.
    await new Promise((r) => setTimeout(r, 1100))
    await publishEvent(dev, S, 'door', door(104))
    await stack.broker.flushPresence()
    const presence = (await stack.registry.presence.ofStation(S)).find((p) => p.deviceId === `${S}-door`)
    expect(presence?.connected).toBe(true)
    expect(Date.parse(presence!.lastSeenAt) - Date.parse(presence!.connectedAt!)).toBeGreaterThanOrEqual(1000)
    await Promise.all([dev.endAsync(), hub.endAsync()])
  })

  test('a publish past the per-client pending cap is neither acknowledged nor stored; the ones under it are stored', async () => {
    // A 2-point pending cap per device: the third unacknowledged publish takes Aedes' path,
    // whose hook refuses it and closes the connection; the first two are stored.
    const capped = await startTestStack({ INGEST_MAX_PENDING_PER_CLIENT: '2', INGEST_LINGER_MS: '200' })
    const storedSeqs = async () => (await capped.query<{ seq: number }>(`SELECT "seq" FROM "door" WHERE "station" = '${S}'`)).map((r) => r.seq).sort((a, b) => a - b)
    let stopped = false
    try {
      const admin = createAdmin(capped.registry)
      await admin.addStation('test', { id: S, name: 'Capped' })
      const secret = (await admin.addDevice('test', S, `${S}-door`, 'door')).secret
      const client = mqtt.connect(capped.mqttUrl, { clientId: `${S}-door`, username: `${S}-door`, password: secret, protocolVersion: 4, reconnectPeriod: 0 })
      await new Promise((resolve) => client.once('connect', resolve))
      const acks = [1, 2, 3].map((seq) => client.publishAsync(`stations/${S}/door`, JSON.stringify(door(seq)), { qos: 1 }).then(() => seq, () => undefined))
      await new Promise<void>((resolve) => client.once('close', () => resolve()))
      client.end(true)
      const acked = (await Promise.all(acks.map((a) => Promise.race([a, new Promise<undefined>((r) => setTimeout(r, 500, undefined))])))).filter((seq) => seq !== undefined)
      // A graceful stop finishes what ingest was handed, so InfluxDB then holds all it ever will.
      await capped.stop({ keepData: true })
      stopped = true
      expect(await storedSeqs()).toEqual([1, 2])
      expect(acked).not.toContain(3)
      // PUBACK ⇒ stored (1 and 2 may have lost their PUBACK with the connection, and are resent).
      for (const seq of acked) expect([1, 2]).toContain(seq)
    } finally {
      if (!stopped) await capped.stop()
      else await capped.influx.dropDatabase(capped.config.INFLUX_DB).catch(() => {})
    }
  })
})

describe('per-connection memory (broker/lean-client.ts)', () => {
  type Internals = { _parser: { settings: Record<string, unknown>, _list: object } }
  const internals = (id: string) => (stack.broker.aedes as unknown as { clients: Record<string, Internals> }).clients[id]!

  test('after CONNECT the parser keeps neither the CONNECT packet nor its password, and buffers in a plain list; packets split over several reads still parse', async () => {
    const [host, port] = stack.mqttUrl.slice('mqtt://'.length).split(':') as [string, string]
    // What the client sends arrives in two pieces, 20 ms apart (its first byte, then the rest):
    // the parser must keep the first piece and complete the packet with the second. In order:
    // mqtt-packet writes one packet in several writes.
    const split = () => {
      const socket = createConnection({ host, port: Number(port) })
      socket.setNoDelay(true)
      const write = socket.write.bind(socket) as (chunk: Uint8Array) => boolean
      let chain = Promise.resolve()
      socket.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
        const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined
        const buf = Buffer.from(chunk)
        chain = chain.then(async () => {
          if (socket.destroyed) return
          write(buf.subarray(0, 1))
          if (buf.length > 1) {
            await new Promise((r) => setTimeout(r, 20))
            if (!socket.destroyed) write(buf.subarray(1))
          }
          cb?.()
        })
        return true
      }) as typeof socket.write
      return socket
    }
    const id = `${S}-door`
    const client = new mqtt.MqttClient(split, { clientId: id, username: id, password: secrets[id]!, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 })
    await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject) })
    const parser = internals(id)._parser
    expect(parser.settings).toEqual({ protocolVersion: 4 })
    expect(JSON.stringify(parser.settings)).not.toContain(secrets[id]!)
    expect('_readableState' in parser._list).toBe(false) // not bl's BufferListStream
    for (let seq = 200; seq < 205; seq++) await publishEvent(client, S, 'door', door(seq))
    const [row] = await stack.query<{ count: number }>(`SELECT count(seq) AS count FROM door WHERE station = '${S}' AND seq >= 200 AND seq < 205`)
    expect(row?.count).toBe(5)
    await client.endAsync()
  })
})
