// Is the MQTT broker alive? An open TCP port only proves that something listens; an MQTT
// CONNACK proves the broker speaks MQTT. Any CONNACK counts, a refusal included (code 5,
// "not authorized", is what our broker answers a client without credentials), so the probe
// needs no device secret and never holds a session: it disconnects at once.
import { connect as tcpConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { randomBytes } from 'node:crypto'
import type { Probe, ProbeResult } from './probes.ts'

const CONNACK = 0x20
const DISCONNECT = Buffer.from([0xe0, 0x00])
const RETURN_CODES: Record<number, string> = {
  0: 'accepted',
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized'
}

/** A minimal MQTT 3.1.1 CONNECT: clean session, no will, no credentials. */
export function connectPacket (clientId: string, keepAliveSec = 10): Buffer {
  const id = Buffer.from(clientId, 'utf8')
  const variable = Buffer.from([
    0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, // protocol name "MQTT"
    0x04, // protocol level 4 = 3.1.1
    0x02, // connect flags: clean session only
    (keepAliveSec >> 8) & 0xff, keepAliveSec & 0xff
  ])
  const remaining = variable.length + 2 + id.length
  // Client ids are short: the remaining length always fits the one-byte form.
  if (remaining > 127) throw new RangeError('client id too long for the probe')
  return Buffer.concat([Buffer.from([0x10, remaining]), variable, Buffer.from([id.length >> 8, id.length & 0xff]), id])
}

/** host, port and TLS flag of an mqtt:// or mqtts:// URL (default ports 1883 / 8883). */
export function parseBrokerUrl (brokerUrl: string): { host: string, port: number, tls: boolean } {
  const u = new URL(brokerUrl)
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') throw new Error(`not an mqtt:// or mqtts:// URL: ${brokerUrl}`)
  const tls = u.protocol === 'mqtts:'
  // URL keeps the brackets of an IPv6 literal; net.connect wants the bare address.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1')
  return { host, port: u.port ? Number(u.port) : (tls ? 8883 : 1883), tls }
}

// [PROXY v2 2.2] signature, version 2 + LOCAL, AF_UNSPEC, no addresses: "this is the proxy
// itself", which a broker that requires the PROXY protocol accepts as a health check.
export const PROXY_V2_LOCAL = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00])

/** `proxyProtocol`: the broker requires a PROXY header (MQTT_PROXY_PROTOCOL=on); send a LOCAL one first. */
export function probeBroker (brokerUrl: string, timeoutMs = 2000, proxyProtocol = false): Promise<ProbeResult> {
  const { host, port, tls } = parseBrokerUrl(brokerUrl)
  const start = performance.now()
  const elapsed = () => Math.round(performance.now() - start)
  return new Promise((resolve) => {
    let settled = false
    const socket: Socket = tls
      ? tlsConnect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host })
      : tcpConnect({ host, port })
    const finish = (result: ProbeResult, farewell?: Buffer) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (farewell) {
        // end() flushes the DISCONNECT first; destroy() shortly after in case the peer lingers.
        socket.end(farewell)
        setTimeout(() => socket.destroy(), 500).unref()
      } else {
        socket.destroy()
      }
      resolve(result)
    }
    const timer = setTimeout(() => finish({ ok: false, latencyMs: elapsed(), detail: `no CONNACK within ${timeoutMs} ms` }), timeoutMs)
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      if (proxyProtocol) socket.write(PROXY_V2_LOCAL)
      socket.write(connectPacket(`ws-health-${randomBytes(6).toString('hex')}`))
    })
    let received = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (received[0] !== CONNACK) {
        finish({ ok: false, latencyMs: elapsed(), detail: `not an MQTT broker (first byte 0x${received[0]?.toString(16)})` })
        return
      }
      if (received.length < 4) return // CONNACK is 4 bytes; wait for the rest
      const code = received[3] ?? -1
      // Leave cleanly when we were let in, so the broker logs a disconnect, not a lost client.
      finish({ ok: true, latencyMs: elapsed(), detail: `CONNACK ${code} (${RETURN_CODES[code] ?? 'unknown'})` }, code === 0 ? DISCONNECT : undefined)
    })
    socket.once('error', (err) => finish({ ok: false, latencyMs: elapsed(), detail: err.message }))
    socket.once('close', () => finish({ ok: false, latencyMs: elapsed(), detail: 'connection closed before CONNACK' }))
  })
}

/** The default broker probe of a stand-alone API process. */
export function createBrokerProbe (brokerUrl: string, timeoutMs = 2000, proxyProtocol = false): Probe {
  parseBrokerUrl(brokerUrl) // fail at start-up on a bad URL, not on every /health
  return () => probeBroker(brokerUrl, timeoutMs, proxyProtocol)
}
