import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createAdmin } from '../registry/admin.ts'
import { closed, connectDevice, publishEvent, worker } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

// The broker's side of "every device gets exactly the access it needs", against the real
// broker and real MQTT clients.

const waitFor = async (cond: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 200; i++) { if (await cond()) return; await new Promise((r) => setTimeout(r, 25)) }
  throw new Error(`timed out waiting for ${what}`)
}
const refused = (p: Promise<unknown>) => p.then(() => 'connected', (err: Error) => err.message)
/** 'connected', or how the broker refused: a CONNACK error, or the socket closed without one. */
const attempt = (url: string, id: string, secret: string) => new Promise<string>((resolve) => {
  const c = mqtt.connect(url, { clientId: id, username: id, password: secret, protocolVersion: 4, reconnectPeriod: 0 })
  c.once('connect', () => { c.end(true); resolve('connected') })
  c.once('error', (err) => { c.end(true); resolve(err.message) })
  c.once('close', () => { c.end(true); resolve('closed without CONNACK') })
})

let stack: TestStack
let admin: ReturnType<typeof createAdmin>
const S = 'sec-1'
const secrets: Record<string, string> = {}

beforeAll(async () => {
  stack = await startTestStack({ MQTT_AUTH_MAX_FAILURES: '5', MQTT_AUTH_LOCKOUT_MS: '60000', CREDENTIAL_POLL_MS: '100', MQTT_MAX_PACKET_BYTES: String(64 * 1024), METRICS_PUBLIC: 'true' })
  admin = createAdmin(stack.registry)
  await admin.addStation('test', { id: S, name: 'Security' })
  await admin.addStation('test', { id: 'sec-2', name: 'Other' })
  for (const [id, kind] of [['sec-1-door', 'door'], ['sec-1-sensors', 'sensors'], ['sec-1-hub', 'hub'], ['sec-1-spare', 'door']] as const) {
    secrets[id] = (await admin.addDevice('test', S, id, kind)).secret
  }
  secrets['sec-2-door'] = (await admin.addDevice('test', 'sec-2', 'sec-2-door', 'door')).secret
})
afterAll(async () => { await stack?.stop() })

describe('device ACL', () => {
  test('a device kind publishes only its channels; anything else closes the connection', async () => {
    const door = await connectDevice(stack.mqttUrl, 'sec-1-door', secrets['sec-1-door']!)
    await publishEvent(door, S, 'door', { device: 'sec-1-door', ts: Date.UTC(2026, 8, 1), seq: 1, direction: 'in', method: 'face', result: 'granted', worker: worker(1) })
    door.publish(`stations/${S}/environment`, JSON.stringify({ device: 'sec-1-door', ts: Date.UTC(2026, 8, 1), seq: 2, temperature: 20 }), { qos: 1 })
    await closed(door)
    door.end(true)
    const env = await stack.query('SELECT * FROM "environment" WHERE "station" = $s', { s: S })
    expect(env.length).toBe(0)
  })

  test("a device's client id is its own: another station's credential cannot take over a device's session", async () => {
    const door = await connectDevice(stack.mqttUrl, 'sec-1-door', secrets['sec-1-door']!)
    // A stolen secret of station sec-2 used with sec-1-door's client id would otherwise drop
    // that connection and take over its session [MQTT-3.1.4-2].
    const thief = connectDevice(stack.mqttUrl, 'sec-2-door', secrets['sec-2-door']!, { clientId: 'sec-1-door' })
    expect(await refused(thief)).toMatch(/Identifier rejected/)
    expect(door.connected).toBe(true)
    await door.endAsync()
  })

  test('subscriptions: commands only for device kinds, own station for a hub, never other stations or $SYS', async () => {
    const sensors = await connectDevice(stack.mqttUrl, 'sec-1-sensors', secrets['sec-1-sensors']!)
    expect((await sensors.subscribeAsync(`stations/${S}/commands/#`, { qos: 1 }))[0]!.qos).toBe(1)
    for (const t of [`stations/${S}/door`, `stations/${S}/#`, 'stations/sec-2/commands/#', 'stations/+/commands/#', '$SYS/#', '#']) {
      await expect(sensors.subscribeAsync(t, { qos: 1 }), t).rejects.toThrow(/Subscribe error/)
    }
    await sensors.endAsync()
    const hub = await connectDevice(stack.mqttUrl, 'sec-1-hub', secrets['sec-1-hub']!)
    expect((await hub.subscribeAsync(`stations/${S}/#`, { qos: 1 }))[0]!.qos).toBe(1)
    await expect(hub.subscribeAsync('stations/sec-2/#', { qos: 1 })).rejects.toThrow(/Subscribe error/)
    await hub.endAsync()
  })

  test('a persistent session never receives what its subscriptions could not have, even queued while offline', async () => {
    // Aedes stores a SUBSCRIBE's whole topic list when one topic is allowed and queues QoS 1
    // messages for all of them while the client is away (see broker/authorize-forward.ts).
    const opts = { clean: false }
    const hub = await connectDevice(stack.mqttUrl, 'sec-1-hub', secrets['sec-1-hub']!, opts)
    await expect(hub.subscribeAsync({ [`stations/${S}/door`]: { qos: 1 }, 'stations/sec-2/door': { qos: 1 } })).rejects.toThrow(/Subscribe error/)
    await hub.endAsync()
    const [other, own] = await Promise.all([connectDevice(stack.mqttUrl, 'sec-2-door', secrets['sec-2-door']!), connectDevice(stack.mqttUrl, 'sec-1-door', secrets['sec-1-door']!)])
    await publishEvent(other, 'sec-2', 'door', { device: 'sec-2-door', ts: Date.UTC(2026, 8, 1, 5), seq: 1, direction: 'in', method: 'face', result: 'granted' })
    await publishEvent(own, S, 'door', { device: 'sec-1-door', ts: Date.UTC(2026, 8, 1, 5), seq: 2, direction: 'in', method: 'face', result: 'granted' })
    // Listening before CONNACK: the queue follows it at once.
    const back = mqtt.connect(stack.mqttUrl, { clientId: 'sec-1-hub', username: 'sec-1-hub', password: secrets['sec-1-hub']!, protocolVersion: 4, reconnectPeriod: 0, ...opts })
    const topics: string[] = []
    back.on('message', (topic) => topics.push(topic))
    await waitFor(() => topics.length > 0, 'the queued event of its own station')
    expect(topics).toEqual([`stations/${S}/door`])
    await Promise.all([back.endAsync(), other.endAsync(), own.endAsync()])
  })
})

describe('credentials', () => {
  test('rotation: the live connection is dropped, the old secret refused, the new one accepted, history intact', async () => {
    const ts = Date.UTC(2026, 8, 2, 4)
    const before = await connectDevice(stack.mqttUrl, 'sec-1-spare', secrets['sec-1-spare']!)
    await publishEvent(before, S, 'door', { device: 'sec-1-spare', ts, seq: 10, direction: 'in', method: 'card', result: 'granted', worker: worker(2) })
    const { secret } = await admin.rotateDevice('test', 'sec-1-spare')
    await closed(before)
    before.end(true)
    expect(await refused(connectDevice(stack.mqttUrl, 'sec-1-spare', secrets['sec-1-spare']!))).toMatch(/Bad username or password/)
    const after = await connectDevice(stack.mqttUrl, 'sec-1-spare', secret)
    await publishEvent(after, S, 'door', { device: 'sec-1-spare', ts: ts + 1000, seq: 11, direction: 'in', method: 'card', result: 'granted', worker: worker(3) })
    await after.endAsync()
    const rows = await stack.query<{ seq: number }>('SELECT "seq" FROM "door" WHERE "device" = $d', { d: 'sec-1-spare' })
    expect(rows.map((r) => r.seq)).toEqual([10, 11])
    secrets['sec-1-spare'] = secret
  })

  test('revocation drops the live connection at once and refuses the secret', async () => {
    const live = await connectDevice(stack.mqttUrl, 'sec-1-spare', secrets['sec-1-spare']!)
    await admin.revokeDevice('test', 'sec-1-spare')
    await closed(live)
    live.end(true)
    expect(await refused(connectDevice(stack.mqttUrl, 'sec-1-spare', secrets['sec-1-spare']!))).toMatch(/Bad username or password/)
  })

  test('a suspended station cannot connect and its live connections are dropped; reactivated, it can', async () => {
    const live = await connectDevice(stack.mqttUrl, 'sec-2-door', secrets['sec-2-door']!)
    await admin.updateStation('test', 'sec-2', { status: 'suspended' })
    await closed(live)
    live.end(true)
    expect(await refused(connectDevice(stack.mqttUrl, 'sec-2-door', secrets['sec-2-door']!))).toMatch(/Bad username or password/)
    await admin.updateStation('test', 'sec-2', { status: 'active' })
    const again = await connectDevice(stack.mqttUrl, 'sec-2-door', secrets['sec-2-door']!)
    await again.endAsync()
  })
})

describe('limits', () => {
  test('an oversized packet closes the connection before it is buffered; nothing stored', async () => {
    const door = await connectDevice(stack.mqttUrl, 'sec-1-door', secrets['sec-1-door']!)
    door.publish(`stations/${S}/door`, Buffer.alloc(200 * 1024, 0x7b), { qos: 1 })
    await closed(door)
    door.end(true)
    // Cut by the frame guard (counted as such), not by ingest's payload check after buffering.
    const text = await (await fetch(`${stack.apiUrl}/metrics`)).text()
    expect(text).toMatch(/^waystation_mqtt_connections_refused_total\{reason="packet_too_large"\} 1$/m)
    const again = await connectDevice(stack.mqttUrl, 'sec-1-door', secrets['sec-1-door']!)
    await again.endAsync()
  })

  test('failed logins lock an address out, even with the right secret, while other addresses still connect', async () => {
    const from = (localAddress: string, secret: string) => {
      const [host, port] = stack.mqttUrl.slice('mqtt://'.length).split(':') as [string, string]
      const client = new mqtt.MqttClient(() => createConnection({ host, port: Number(port), localAddress }), {
        clientId: 'sec-1-hub', username: 'sec-1-hub', password: secret, protocolVersion: 4, reconnectPeriod: 0
      })
      return new Promise<mqtt.MqttClient>((resolve, reject) => {
        client.once('connect', () => resolve(client))
        client.once('error', (err) => { client.end(true); reject(err) })
      })
    }
    for (let i = 0; i < 5; i++) expect(await refused(from('127.0.0.7', 'wrong'))).toMatch(/Bad username or password/)
    expect(await refused(from('127.0.0.7', secrets['sec-1-hub']!))).toMatch(/Not authorized/)
    const other = await from('127.0.0.8', secrets['sec-1-hub']!)
    await other.endAsync()
    const text = await (await fetch(`${stack.apiUrl}/metrics`)).text()
    expect(text).toMatch(/^waystation_mqtt_connections_refused_total\{reason="locked_out"\} 1$/m)
  })
})

describe('listeners', () => {
  test('TLS: a client trusting the test CA connects, an untrusting one does not; plain TCP off; WebSocket works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waystation-tls-'))
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Waystation Test CA')
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost')
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext')

    const tls = await startTestStack({
      MQTT_PORT: 'off', MQTT_TLS_PORT: '0', MQTT_TLS_CERT: join(dir, 'server.pem'), MQTT_TLS_KEY: join(dir, 'server.key'), MQTT_WS_PORT: '0',
      MQTT_MAX_PACKET_BYTES: String(64 * 1024), METRICS_PUBLIC: 'true'
    })
    try {
      expect(tls.broker.port).toBeUndefined()
      const tlsAdmin = createAdmin(tls.registry)
      await tlsAdmin.addStation('test', { id: 'tls-1', name: 'TLS' })
      const { secret } = await tlsAdmin.addDevice('test', 'tls-1', 'tls-1-door', 'door')
      const opts = { clientId: 'tls-1-door', username: 'tls-1-door', password: secret, protocolVersion: 4 as const, reconnectPeriod: 0, connectTimeout: 5000 }

      const trusted = await mqtt.connectAsync(`mqtts://localhost:${tls.broker.tlsPort}`, { ...opts, ca: readFileSync(join(dir, 'ca.pem')) })
      await publishEvent(trusted, 'tls-1', 'door', { device: 'tls-1-door', ts: Date.UTC(2026, 8, 3), seq: 1, direction: 'in', method: 'qr', result: 'granted', worker: worker(5) })
      await trusted.endAsync()
      await expect(mqtt.connectAsync(`mqtts://localhost:${tls.broker.tlsPort}`, opts)).rejects.toThrow(/self-signed|unable to verify|certificate/i)

      const ws = await mqtt.connectAsync(`ws://127.0.0.1:${tls.broker.wsPort}/mqtt`, opts)
      await publishEvent(ws, 'tls-1', 'door', { device: 'tls-1-door', ts: Date.UTC(2026, 8, 3), seq: 2, direction: 'out', method: 'qr', result: 'granted', worker: worker(5) })
      await ws.endAsync()
      const rows = await tls.query<{ seq: number }>('SELECT "seq" FROM "door"')
      expect(rows.map((r) => r.seq)).toEqual([1, 2])

      // The packet-size guard sits on every transport.
      for (const url of [`mqtts://localhost:${tls.broker.tlsPort}`, `ws://127.0.0.1:${tls.broker.wsPort}/mqtt`]) {
        const big = await mqtt.connectAsync(url, { ...opts, ca: readFileSync(join(dir, 'ca.pem')) })
        big.publish('stations/tls-1/door', Buffer.alloc(200 * 1024, 0x7b), { qos: 1 })
        await closed(big)
        big.end(true)
      }
      const text = await (await fetch(`${tls.apiUrl}/metrics`)).text()
      expect(text).toMatch(/^waystation_mqtt_connections_refused_total\{reason="packet_too_large"\} 2$/m)
    } finally {
      await tls.stop()
    }
  }, 30_000)

  test('the connection cap and the per-address connection rate refuse before authentication', async () => {
    const capped = await startTestStack({ MQTT_MAX_CONNECTIONS: '2' })
    try {
      const a = createAdmin(capped.registry)
      await a.addStation('test', { id: 'cap-1', name: 'Cap' })
      const ids = ['cap-1-a', 'cap-1-b', 'cap-1-c']
      const s: Record<string, string> = {}
      for (const id of ids) s[id] = (await a.addDevice('test', 'cap-1', id, 'door')).secret
      const first = await connectDevice(capped.mqttUrl, 'cap-1-a', s['cap-1-a']!)
      const second = await connectDevice(capped.mqttUrl, 'cap-1-b', s['cap-1-b']!)
      expect(await attempt(capped.mqttUrl, 'cap-1-c', s['cap-1-c']!)).toBe('closed without CONNACK')
      await first.endAsync()
      await waitFor(() => capped.broker.connectedClients() < 2, 'a free slot')
      const third = await connectDevice(capped.mqttUrl, 'cap-1-c', s['cap-1-c']!)
      await Promise.all([second.endAsync(), third.endAsync()])
    } finally {
      await capped.stop()
    }

    const rated = await startTestStack({ MQTT_CONNECTS_PER_WINDOW: '3', MQTT_CONNECT_WINDOW_MS: '60000' })
    try {
      const a = createAdmin(rated.registry)
      await a.addStation('test', { id: 'rate-1', name: 'Rate' })
      const { secret } = await a.addDevice('test', 'rate-1', 'rate-1-door', 'door')
      for (let i = 0; i < 3; i++) await (await connectDevice(rated.mqttUrl, 'rate-1-door', secret)).endAsync()
      expect(await attempt(rated.mqttUrl, 'rate-1-door', secret)).toBe('closed without CONNACK')
    } finally {
      await rated.stop()
    }
  }, 30_000)
})
