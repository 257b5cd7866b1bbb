import { EventEmitter } from 'node:events'
import type { Aedes, Client } from 'aedes'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createPresenceTracker } from '../broker/presence-tracker.ts'
import { createSessions } from '../broker/sessions.ts'
import type { PayloadOf } from '../contract/index.ts'
import { createLogger } from '../platform/logger.ts'
import { createAdmin } from '../registry/admin.ts'
import type { NewService } from '../registry/schemas.ts'
import { closed, connectDevice, publishEvent, worker } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'
import { openTestRegistry } from './support/test-registry.ts'

// Service clients (dashboard live feeds, alerting, operator consoles) against the real broker
// with real MQTT clients: they see the stations in their scope and nothing else, never pass for
// a device, and lose their connection when their credential or scope changes.

const waitFor = async (cond: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 200; i++) { if (await cond()) return; await new Promise((r) => setTimeout(r, 25)) }
  throw new Error(`timed out waiting for ${what}`)
}
const refused = (p: Promise<unknown>) => p.then(() => 'connected', (err: Error) => err.message)
type Received = { topic: string, payload: string, retain: boolean }
/** Everything a client receives from now on. */
const inbox = (client: MqttClient): Received[] => {
  const got: Received[] = []
  client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }))
  return got
}

let stack: TestStack
let admin: ReturnType<typeof createAdmin>
const A = 'svc-a'
const B = 'svc-b'
const secrets: Record<string, string> = {}
let seq = 0
const doorEvent = (device: string): PayloadOf<'door'> => {
  seq++
  return { device, ts: Date.UTC(2026, 8, 1, 4) + seq * 1000, seq, direction: 'in', method: 'face', result: 'granted', worker: worker(seq) }
}
const addService = async (input: NewService) => (secrets[input.id] = (await admin.addService('test', input)).secret)
const connect = (id: string, extra: mqtt.IClientOptions = {}) => connectDevice(stack.mqttUrl, id, secrets[id]!, extra)
const doorSeqs = async (station: string) =>
  (await stack.query<{ seq: number }>('SELECT "seq" FROM "door" WHERE "station" = $s', { s: station })).map((r) => r.seq)

beforeAll(async () => {
  stack = await startTestStack({ CREDENTIAL_POLL_MS: '100' })
  admin = createAdmin(stack.registry)
  await admin.addStation('test', { id: A, name: 'A', district: 'north' })
  await admin.addStation('test', { id: B, name: 'B', district: 'south' })
  for (const [station, id, kind] of [[A, 'svc-a-door', 'door'], [A, 'svc-a-hub', 'hub'], [B, 'svc-b-door', 'door']] as const) {
    secrets[id] = (await admin.addDevice('test', station, id, kind)).secret
  }
})
afterAll(async () => { await stack?.stop() })

describe('service ACL', () => {
  test('scope [a], subscribe only: a\'s live data, SUBACK 0x80 for b and station-level wildcards, data publish closes the connection', async () => {
    await addService({ id: 'feed-a', name: 'Feed A', scope: { kind: 'stations', stations: [A] } })
    const feed = await connect('feed-a')
    const got = inbox(feed)
    expect((await feed.subscribeAsync(`stations/${A}/door`, { qos: 1 }))[0]!.qos).toBe(1)
    expect((await feed.subscribeAsync(`stations/${A}/#`, { qos: 1 }))[0]!.qos).toBe(1)
    for (const t of [`stations/${B}/door`, `stations/${B}/#`, 'stations/+/door', 'stations/#', `stations/${A}`, '#', '$SYS/#', '$quarantine/#', `+/${A}/door`]) {
      await expect(feed.subscribeAsync(t, { qos: 1 }), t).rejects.toThrow(/Subscribe error/)
    }
    expect(feed.connected).toBe(true)

    const [doorA, doorB] = await Promise.all([connect('svc-a-door'), connect('svc-b-door')])
    await publishEvent(doorA, A, 'door', doorEvent('svc-a-door'))
    await publishEvent(doorB, B, 'door', doorEvent('svc-b-door'))
    await publishEvent(doorA, A, 'door', doorEvent('svc-a-door'))
    // Two subscriptions match a's topic: MQTT 3.1.1 lets the server deliver once or twice
    // [MQTT-3.3.5-1]; b's event, published in between, never arrives.
    await waitFor(() => got.filter((m) => JSON.parse(m.payload).seq === seq).length > 0, 'a\'s second event')
    expect(new Set(got.map((m) => m.topic))).toEqual(new Set([`stations/${A}/door`]))

    // Data from a service is refused whatever it claims to be; nothing is stored.
    const before = await doorSeqs(A)
    feed.publish(`stations/${A}/door`, JSON.stringify(doorEvent('svc-a-door')), { qos: 1 })
    await closed(feed)
    feed.end(true)
    await publishEvent(doorA, A, 'door', doorEvent('svc-a-door'))
    expect(await doorSeqs(A)).toEqual([...before, seq])
    await Promise.all([doorA.endAsync(), doorB.endAsync()])
  })

  test('scope all may use station-level wildcards and receives every station, never $SYS', async () => {
    await addService({ id: 'feed-all', name: 'Fleet wall screen', scope: { kind: 'all' } })
    const feed = await connect('feed-all')
    const got = inbox(feed)
    expect((await feed.subscribeAsync('stations/+/door', { qos: 1 }))[0]!.qos).toBe(1)
    for (const t of ['#', '$SYS/#', '$quarantine/#']) await expect(feed.subscribeAsync(t, { qos: 1 }), t).rejects.toThrow(/Subscribe error/)
    const [doorA, doorB] = await Promise.all([connect('svc-a-door'), connect('svc-b-door')])
    await publishEvent(doorA, A, 'door', doorEvent('svc-a-door'))
    await publishEvent(doorB, B, 'door', doorEvent('svc-b-door'))
    await waitFor(() => got.length === 2, 'both stations\' events')
    expect(got.map((m) => m.topic)).toEqual([`stations/${A}/door`, `stations/${B}/door`])
    expect((await feed.subscribeAsync('stations/#', { qos: 0 }))[0]!.qos).toBe(0)
    await Promise.all([doorA.endAsync(), doorB.endAsync(), feed.endAsync()])
  })

  test('subscribe+commands: a command reaches the station\'s hub, unretained and unstored; out of scope closes the connection', async () => {
    await addService({ id: 'console-a', name: 'Operator console', scope: { kind: 'stations', stations: [A] }, permission: 'subscribe+commands' })
    const hub = await connect('svc-a-hub')
    const got = inbox(hub)
    await hub.subscribeAsync(`stations/${A}/commands/#`, { qos: 1 })
    const ops = await connect('console-a')
    await ops.publishAsync(`stations/${A}/commands/reboot`, '{"reason":"test"}', { qos: 1, retain: true })
    await waitFor(() => got.length === 1, 'the command')
    expect(got[0]).toEqual({ topic: `stations/${A}/commands/reboot`, payload: '{"reason":"test"}', retain: false })

    // Not ingested (no rejected record either) and not retained for the next subscriber.
    const measurements = (await stack.query<{ name: string }>('SHOW MEASUREMENTS')).map((r) => r.name)
    expect(measurements).not.toContain('rejected')
    const { persistence } = stack.broker.aedes as unknown as { persistence: { createRetainedStream (pattern: string): AsyncIterable<{ topic: string }> } }
    const retained: string[] = []
    for await (const p of persistence.createRetainedStream('stations/#')) retained.push(p.topic)
    expect(retained.filter((t) => t.includes('/commands/'))).toEqual([])

    // Commands to a station out of scope, or data, are refused like a device's.
    ops.publish(`stations/${B}/commands/reboot`, '{}', { qos: 1 })
    await closed(ops)
    ops.end(true)
    const again = await connect('console-a')
    again.publish(`stations/${A}/status`, JSON.stringify({ device: 'svc-a-hub', ts: Date.UTC(2026, 8, 1), seq: 1, state: 'online' }), { qos: 1 })
    await closed(again)
    again.end(true)
    expect(got).toHaveLength(1)
    await hub.endAsync()
  })

  test('a service\'s client id is its own: a device\'s is refused and the device stays connected', async () => {
    const door = await connect('svc-a-door')
    const taken = mqtt.connectAsync(stack.mqttUrl, { clientId: 'svc-a-door', username: 'feed-all', password: secrets['feed-all']!, protocolVersion: 4, reconnectPeriod: 0 })
    expect(await refused(taken)).toMatch(/Identifier rejected/)
    expect(door.connected).toBe(true)
    const replica = await connect('feed-all', { clientId: 'feed-all:replica-2' })
    await Promise.all([replica.endAsync(), door.endAsync()])
  })

  test('services have no presence row; one connecting beside a device does not cost the device its row', async () => {
    // The tracker writes the connects of one I/O phase in one transaction, and device_presence
    // references devices: a service's row would fail the whole batch.
    const registry = await openTestRegistry()
    await registry.addStation({ id: 'p-1', name: 'P' })
    await registry.addDevice('p-1', 'p-1-door', 'door')
    const aedes = new EventEmitter() as unknown as Aedes
    const sessions = createSessions()
    const [device, service] = [{ id: 'p-1-door' }, { id: 'p-feed' }] as unknown as [Client, Client]
    sessions.set(device, { principal: 'device', deviceId: 'p-1-door', stationId: 'p-1', kind: 'door', ip: '127.0.0.1', pending: 0 })
    sessions.set(service, { principal: 'service', serviceId: 'p-feed', stations: null, commands: false, ip: '127.0.0.1' })
    const tracker = createPresenceTracker({ aedes, sessions, store: registry.presence, brokerId: 'unit', flushMs: 60_000, logger: createLogger('silent') })
    aedes.emit('clientReady', service)
    aedes.emit('clientReady', device)
    aedes.emit('publish', {}, service)
    await tracker.flush()
    expect(await registry.presence.ofStation('p-1')).toEqual([expect.objectContaining({ deviceId: 'p-1-door', connected: true })])
    expect(tracker.connectedDevices()).toBe(1)
    await tracker.close()
    registry.close()
  })
})

describe('service credentials and scope', () => {
  test('revocation drops the live connection and refuses the secret', async () => {
    await addService({ id: 'feed-revoked', name: 'Old feed', scope: { kind: 'all' } })
    const live = await connect('feed-revoked')
    await admin.revokeService('test', 'feed-revoked')
    await closed(live)
    live.end(true)
    expect(await refused(connect('feed-revoked'))).toMatch(/Bad username or password/)
  })

  test('rotation drops the live connection; the old secret is refused, the new one accepted', async () => {
    await addService({ id: 'feed-rotated', name: 'Feed', scope: { kind: 'stations', stations: [B] } })
    const live = await connect('feed-rotated')
    const { secret } = await admin.rotateService('test', 'feed-rotated')
    await closed(live)
    live.end(true)
    expect(await refused(connect('feed-rotated'))).toMatch(/Bad username or password/)
    secrets['feed-rotated'] = secret
    await (await connect('feed-rotated')).endAsync()
  })

  test('a scope change drops the connection; a persistent session gets nothing of the old scope, queued or restored', async () => {
    await addService({ id: 'feed-moved', name: 'Feed', scope: { kind: 'stations', stations: [A] } })
    // Listening before CONNACK: queued messages follow it at once.
    const session = async () => {
      const client = mqtt.connect(stack.mqttUrl, { clientId: 'feed-moved', username: 'feed-moved', password: secrets['feed-moved']!, protocolVersion: 4, reconnectPeriod: 0, clean: false })
      const got = inbox(client)
      await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject) })
      return { client, got }
    }
    const [doorA, doorB] = await Promise.all([connect('svc-a-door'), connect('svc-b-door')])
    const first = await session()
    await first.client.subscribeAsync(`stations/${A}/door`, { qos: 1 })
    await first.client.endAsync()
    // While it is offline, a's events are queued for its session (QoS 1) and delivered when it
    // is back: what the narrowed scope must stop below.
    await publishEvent(doorA, A, 'door', doorEvent('svc-a-door'))
    const second = await session()
    await waitFor(() => second.got.length === 1, 'the queued event')

    await admin.updateService('test', 'feed-moved', { scope: { kind: 'stations', stations: [B] } })
    await closed(second.client)
    second.client.end(true)
    await publishEvent(doorA, A, 'door', doorEvent('svc-a-door'))
    const third = await session()
    await third.client.subscribeAsync(`stations/${B}/door`, { qos: 1 })
    await publishEvent(doorA, A, 'door', doorEvent('svc-a-door'))
    await publishEvent(doorB, B, 'door', doorEvent('svc-b-door'))
    await waitFor(() => third.got.some((m) => m.topic === `stations/${B}/door`), 'b\'s event')
    expect(third.got.map((m) => m.topic)).toEqual([`stations/${B}/door`])
    await Promise.all([doorA.endAsync(), doorB.endAsync(), third.client.endAsync()])
  })

  test('district scope: a station joining the district drops the connection and is in scope after reconnecting', async () => {
    await addService({ id: 'board-north', name: 'North board', scope: { kind: 'district', district: 'north' } })
    const board = await connect('board-north')
    expect((await board.subscribeAsync(`stations/${A}/door`, { qos: 1 }))[0]!.qos).toBe(1)
    await expect(board.subscribeAsync(`stations/${B}/door`, { qos: 1 })).rejects.toThrow(/Subscribe error/)
    await admin.updateStation('test', B, { district: 'north' })
    await closed(board)
    board.end(true)
    const again = await connect('board-north')
    expect((await again.subscribeAsync(`stations/${B}/door`, { qos: 1 }))[0]!.qos).toBe(1)
    await admin.updateStation('test', B, { district: 'south' })
    await closed(again)
    again.end(true)
  })

  test('service and device ids never collide', async () => {
    await expect(admin.addService('test', { id: 'svc-a-door', name: 'x', scope: { kind: 'all' } })).rejects.toThrow(/already used by a device/)
    await expect(admin.addDevice('test', A, 'feed-a', 'door')).rejects.toThrow(/already used by a service/)
  })
})
