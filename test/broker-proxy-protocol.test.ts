// The broker behind a TCP proxy (MQTT_PROXY_PROTOCOL=on): every connection starts with a PROXY
// v1/v2 header, and the address in it, not the proxy's, is what the per-address limits see.
// Parser cases against the spec's byte layouts; then the real broker, with MQTT.js clients on
// sockets that send a header first, as HAProxy's send-proxy-v2 does.
import { createConnection, type Socket } from 'node:net'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { connectPacket, probeBroker, PROXY_V2_LOCAL } from '../api/broker-probe.ts'
import { parseProxyHeader, ProxyHeaderError } from '../broker/proxy-protocol.ts'
import { publishEvent, worker } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex')

/** A PROXY v2 header for a TCP connection from `ip`:`port` (IPv4) to 10.0.0.1:1883. */
function v2 (ip: string, port: number): Buffer {
  const body = Buffer.alloc(12)
  ip.split('.').forEach((b, i) => { body[i] = Number(b) })
  Buffer.from([10, 0, 0, 1]).copy(body, 4)
  body.writeUInt16BE(port, 8)
  body.writeUInt16BE(1883, 10)
  const head = Buffer.alloc(4)
  head[0] = 0x21 // version 2, PROXY
  head[1] = 0x11 // AF_INET, STREAM
  head.writeUInt16BE(body.length, 2)
  return Buffer.concat([SIG, head, body])
}

describe('parseProxyHeader', () => {
  test('v2 IPv4 and IPv6 give the source address and the header length', () => {
    expect(parseProxyHeader(Buffer.concat([v2('203.0.113.7', 5555), Buffer.from([0x10])]))).toEqual({ source: { address: '203.0.113.7', port: 5555 }, length: 28 })
    const body = Buffer.alloc(36)
    Buffer.from('20010db8000000000000000000000042', 'hex').copy(body, 0)
    body.writeUInt16BE(40000, 32)
    const v6 = Buffer.concat([SIG, Buffer.from([0x21, 0x21, 0x00, 36]), body])
    expect(parseProxyHeader(v6)).toEqual({ source: { address: '2001:db8::42', port: 40000 }, length: 52 })
  })

  test('v2 LOCAL (the proxy\'s own health check) has no source', () => {
    expect(parseProxyHeader(PROXY_V2_LOCAL)).toEqual({ source: null, length: 16 })
  })

  test('v1 TCP4, TCP6 and UNKNOWN', () => {
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 198.51.100.2 10.0.0.1 41000 1883\r\n\x10'))).toEqual({ source: { address: '198.51.100.2', port: 41000 }, length: 45 })
    expect(parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 41000 1883\r\n'))).toMatchObject({ source: { address: '2001:db8::1' } })
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ source: null, length: 15 })
  })

  test('a header cut anywhere is incomplete, not an error', () => {
    const whole = v2('203.0.113.7', 5555)
    for (let n = 1; n < whole.length; n++) expect(parseProxyHeader(whole.subarray(0, n))).toBe('incomplete')
    const line = Buffer.from('PROXY TCP4 198.51.100.2 10.0.0.1 41000 1883\r\n')
    for (let n = 1; n < line.length; n++) expect(parseProxyHeader(line.subarray(0, n))).toBe('incomplete')
  })

  test('anything else is refused: a bare MQTT CONNECT, a bad version, an oversized header, a v1 line with no end', () => {
    expect(() => parseProxyHeader(Buffer.from([0x10, 0x20, 0x00, 0x04]))).toThrow(ProxyHeaderError)
    expect(() => parseProxyHeader(Buffer.concat([SIG, Buffer.from([0x11, 0x11, 0x00, 0x0c]), Buffer.alloc(12)]))).toThrow(/version 1/)
    expect(() => parseProxyHeader(Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])]))).toThrow(/header of/)
    expect(() => parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`))).toThrow(/CRLF/)
  })
})

describe('the broker with MQTT_PROXY_PROTOCOL=on', () => {
  let stack: TestStack
  let secrets: Record<string, string>
  const S = 'px-1'
  const HUB = `${S}-hub`

  beforeAll(async () => {
    stack = await startTestStack({ MQTT_PROXY_PROTOCOL: 'on', MQTT_AUTH_MAX_FAILURES: '3', MQTT_AUTH_LOCKOUT_MS: '60000' })
    secrets = await stack.addStation({ id: S, name: 'Proxy 1', district: 'futian' }, [HUB])
  }, 60_000)

  afterAll(async () => { await stack?.stop() })

  const port = () => Number(new URL(stack.mqttUrl).port)

  /** An MQTT.js client whose socket first sends `header`, as HAProxy does. */
  function viaProxy (header: Buffer | null, secret: string): Promise<mqtt.MqttClient> {
    const client = new mqtt.MqttClient(() => {
      const socket: Socket = createConnection({ host: '127.0.0.1', port: port() })
      // Written before MQTT.js gets the socket: writes queue in order until it connects.
      if (header) socket.write(header)
      return socket
    }, { clientId: HUB, username: HUB, password: secret, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 })
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve(client))
      client.once('error', (err) => { client.end(true); reject(err) })
      client.once('close', () => { client.end(true); reject(new Error('closed without CONNACK')) })
    })
  }
  const outcome = (p: Promise<mqtt.MqttClient>) => p.then(async (c) => { await c.endAsync(); return 'connected' }, (err: Error) => err.message)

  test('a device behind the proxy connects, and what it publishes is stored', async () => {
    const c = await viaProxy(v2('203.0.113.7', 5555), secrets[HUB]!)
    await publishEvent(c, S, 'door', { device: HUB, ts: Date.now(), seq: 1, direction: 'in', method: 'face', result: 'granted', worker: worker(1) })
    await c.endAsync()
    const rows = await stack.query<{ count: number }>('SELECT count(*) FROM door WHERE station = $s', { s: S })
    expect(Object.values(rows[0] ?? {}).some((v) => v === 1)).toBe(true)
  })

  test('lockout follows the client address in the header, not the proxy\'s', async () => {
    for (let i = 0; i < 3; i++) expect(await outcome(viaProxy(v2('203.0.113.50', 1000 + i), 'wrong'))).toMatch(/Bad username or password/)
    // The same address is locked out, even with the right secret...
    expect(await outcome(viaProxy(v2('203.0.113.50', 2000), secrets[HUB]!))).toMatch(/Not authorized/)
    // ...while another device behind the same proxy (another address in its header) connects.
    expect(await outcome(viaProxy(v2('198.51.100.9', 2001), secrets[HUB]!))).toBe('connected')
  })

  test('a header split over two TCP segments is put together', async () => {
    const header = v2('203.0.113.8', 6000)
    const socket = createConnection({ host: '127.0.0.1', port: port() })
    socket.setNoDelay(true)
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(header.subarray(0, 7))
    await new Promise((resolve) => setTimeout(resolve, 100))
    socket.write(Buffer.concat([header.subarray(7), connectPacket('px-anonymous')]))
    const connack = await new Promise<Buffer>((resolve) => socket.once('data', resolve))
    socket.destroy()
    // CONNACK (0x20), and a refusal for the anonymous client: MQTT was parsed after the header.
    expect(connack[0]).toBe(0x20)
    expect(connack[3]).not.toBe(0)
  })

  test('a connection without a header is refused before MQTT; the proxy\'s LOCAL health check is answered', async () => {
    expect(await outcome(viaProxy(null, secrets[HUB]!))).toMatch(/closed without CONNACK|ECONNRESET|EPIPE/)
    const probed = await probeBroker(stack.mqttUrl, 5000, true)
    expect(probed).toMatchObject({ ok: true, detail: expect.stringMatching(/^CONNACK/) })
  })
})
