// Connection admission under a reconnect storm, against the real broker and real MQTT clients
// from several loopback addresses (127.0.0.0/8 is all local on Linux): one noisy address
// cannot use up what the quiet ones need (the per-address connection rate refuses its excess
// before any authentication), the failed-login lockout still holds in the middle of a storm,
// and a device whose secret is still an old scrypt hash gets in and is upgraded.
import { createConnection } from 'node:net'
import { DatabaseSync } from 'node:sqlite'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createAdmin } from '../registry/admin.ts'
import { legacyScryptHash } from '../registry/secrets.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const RATE = 10 // connection attempts per address per (long) window
let stack: TestStack
const secrets: Record<string, string> = {}
const open: mqtt.MqttClient[] = []

/** 'connected', a CONNACK refusal's message, or 'closed without CONNACK'; from `localAddress`. */
function attempt (localAddress: string, user: string, secret: string, clientId = user): Promise<string> {
  const [host, port] = stack.mqttUrl.slice('mqtt://'.length).split(':') as [string, string]
  const c = new mqtt.MqttClient(() => createConnection({ host, port: Number(port), localAddress }), {
    clientId, username: user, password: secret, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 30_000
  })
  return new Promise((resolve) => {
    c.once('connect', () => { open.push(c); resolve('connected') })
    c.once('error', (err) => { c.end(true); resolve(err.message) })
    c.once('close', () => { c.end(true); resolve('closed without CONNACK') })
  })
}
const quietAddr = (i: number) => `127.0.0.${10 + i}`
const count = (xs: string[], x: string) => xs.filter((y) => y === x).length

beforeAll(async () => {
  stack = await startTestStack({
    MQTT_CONNECTS_PER_WINDOW: String(RATE), MQTT_CONNECT_WINDOW_MS: '600000',
    MQTT_AUTH_MAX_FAILURES: '5', MQTT_AUTH_LOCKOUT_MS: '600000'
  })
  const admin = createAdmin(stack.registry)
  await admin.addStation('test', { id: 'fair-1', name: 'Fair' })
  for (const id of ['fair-1-noisy', 'fair-1-legacy', ...Array.from({ length: 40 }, (_, i) => `fair-1-q${i}`)]) {
    secrets[id] = (await admin.addDevice('test', 'fair-1', id, 'hub')).secret
  }
})
afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true)))
  await stack?.stop()
})

describe('admission during a reconnect storm', () => {
  test('one noisy address gets its per-address share and no more; every quiet address connects', async () => {
    // All at once: 60 attempts from one address interleaved with one from each of 20 others.
    const noisy = Array.from({ length: 60 }, (_, i) => attempt('127.0.0.2', 'fair-1-noisy', secrets['fair-1-noisy']!, `fair-1-noisy:${i}`))
    const quiet = Array.from({ length: 20 }, (_, i) => attempt(quietAddr(i), `fair-1-q${i}`, secrets[`fair-1-q${i}`]!))
    const [n, q] = await Promise.all([Promise.all(noisy), Promise.all(quiet)])
    expect(q).toEqual(Array(20).fill('connected'))
    expect(count(n, 'connected')).toBe(RATE)
    expect(count(n, 'closed without CONNACK')).toBe(60 - RATE)
  }, 60_000)

  test('wrong secrets lock their address out mid-storm, even for the right secret; the others still connect', async () => {
    const wrong = Array.from({ length: 5 }, () => attempt('127.0.0.3', 'fair-1-q39', 'not-the-secret'))
    const quiet = Array.from({ length: 19 }, (_, i) => attempt(quietAddr(20 + i), `fair-1-q${20 + i}`, secrets[`fair-1-q${20 + i}`]!))
    const [w, q] = await Promise.all([Promise.all(wrong), Promise.all(quiet)])
    expect(w).toEqual(Array(5).fill('Connection refused: Bad username or password'))
    expect(q).toEqual(Array(19).fill('connected'))
    // Locked: the right secret from that address is refused before any hashing ...
    expect(await attempt('127.0.0.3', 'fair-1-q39', secrets['fair-1-q39']!)).toBe('Connection refused: Not authorized')
    // ... while the device it guessed at still connects from its own address.
    expect(await attempt(quietAddr(39), 'fair-1-q39', secrets['fair-1-q39']!)).toBe('connected')
  }, 60_000)

  test('a device with an old scrypt hash connects over MQTT and its hash is upgraded to v2', async () => {
    const db = new DatabaseSync(stack.config.REGISTRY_PATH)
    db.prepare('UPDATE devices SET secret_hash = ? WHERE id = ?').run(await legacyScryptHash(secrets['fair-1-legacy']!), 'fair-1-legacy')
    const stored = () => (db.prepare('SELECT secret_hash FROM devices WHERE id = ?').get('fair-1-legacy') as { secret_hash: string }).secret_hash
    expect(stored()).toMatch(/^scrypt\$/)
    expect(await attempt('127.0.0.4', 'fair-1-legacy', secrets['fair-1-legacy']!)).toBe('connected')
    expect(stored()).toMatch(/^v2\$/)
    expect(await attempt('127.0.0.4', 'fair-1-legacy', secrets['fair-1-legacy']!, 'fair-1-legacy:again')).toBe('connected')
    db.close()
  }, 60_000)
})
