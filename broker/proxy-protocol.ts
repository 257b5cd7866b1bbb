// The PROXY protocol (HAProxy's spec, versions 1 and 2): a TCP proxy in front of the broker
// (HAProxy `send-proxy-v2`, nginx `proxy_protocol on`) prefixes each connection with the
// client's real address. Without it every device seems to come from the proxy's address, and
// the per-address limits turn into fleet-wide ones: a reconnect storm is throttled to one
// address's connect rate, and one device with a wrong secret locks every device out.
//
// Enabled per deployment (MQTT_PROXY_PROTOCOL=on) and then required on every connection of
// the plain TCP and Unix-socket listeners, as the spec asks of a receiver: a header is only
// trustworthy when the port is reachable through the proxy alone, so a connection without one
// is refused rather than taken at its word.
import type { Duplex } from 'node:stream'

// [PROXY v2 2.2] the 12-byte signature, then version/command, family/transport, length.
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])
const V1_PREFIX = Buffer.from('PROXY ')
// [PROXY v1 2.1] a v1 line is at most 107 bytes, CRLF included.
const V1_MAX = 107
// [PROXY v2 2.2] 16 bytes of fixed header plus at most 216 bytes of addresses for TCP/UDP
// and Unix; TLVs may follow, bounded here so a peer cannot make us buffer without limit.
const V2_MAX = 16 + 1024

export type ProxySource = { address: string, port: number }
/** `source` is null for a LOCAL (v2) or UNKNOWN (v1) header: the proxy's own connection, e.g. a health check. */
export type ProxyHeader = { source: ProxySource | null, length: number }

export class ProxyHeaderError extends Error {}

/** Parses a header at the start of `buf`: the header, 'incomplete' when more bytes are needed, or throws ProxyHeaderError. */
export function parseProxyHeader (buf: Buffer): ProxyHeader | 'incomplete' {
  if (startsWith(buf, V2_SIGNATURE)) return parseV2(buf)
  if (startsWith(buf, V1_PREFIX)) return parseV1(buf)
  const partial = (prefix: Buffer) => buf.length < prefix.length && buf.equals(prefix.subarray(0, buf.length))
  if (partial(V2_SIGNATURE) || partial(V1_PREFIX)) return 'incomplete'
  throw new ProxyHeaderError('no PROXY protocol header')
}

function startsWith (buf: Buffer, prefix: Buffer): boolean {
  return buf.length >= prefix.length && buf.subarray(0, prefix.length).equals(prefix)
}

function parseV2 (buf: Buffer): ProxyHeader | 'incomplete' {
  if (buf.length < 16) return 'incomplete'
  const version = buf[12]! >> 4
  const command = buf[12]! & 0x0f
  if (version !== 2) throw new ProxyHeaderError(`PROXY v2: version ${version}`)
  const length = 16 + buf.readUInt16BE(14)
  if (length > V2_MAX) throw new ProxyHeaderError(`PROXY v2: header of ${length} bytes`)
  if (buf.length < length) return 'incomplete'
  if (command === 0x0) return { source: null, length } // LOCAL: the proxy itself
  if (command !== 0x1) throw new ProxyHeaderError(`PROXY v2: command ${command}`)
  const family = buf[13]! >> 4
  const body = buf.subarray(16, length)
  if (family === 0x1 && body.length >= 12) { // AF_INET: src, dst, src port, dst port
    return { source: { address: Array.from(body.subarray(0, 4)).join('.'), port: body.readUInt16BE(8) }, length }
  }
  if (family === 0x2 && body.length >= 36) { // AF_INET6
    const groups = Array.from({ length: 8 }, (_, i) => body.readUInt16BE(i * 2).toString(16))
    return { source: { address: compactIpv6(groups), port: body.readUInt16BE(32) }, length }
  }
  // AF_UNSPEC or AF_UNIX: no usable address; the spec says to use the connection's own.
  if (family === 0x0 || family === 0x3) return { source: null, length }
  throw new ProxyHeaderError(`PROXY v2: address family ${family}`)
}

function parseV1 (buf: Buffer): ProxyHeader | 'incomplete' {
  const end = buf.indexOf('\r\n')
  if (end === -1) {
    if (buf.length >= V1_MAX) throw new ProxyHeaderError('PROXY v1: no CRLF within 107 bytes')
    return 'incomplete'
  }
  const length = end + 2
  const parts = buf.subarray(0, end).toString('latin1').split(' ')
  if (parts[1] === 'UNKNOWN') return { source: null, length }
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6')) throw new ProxyHeaderError('PROXY v1: malformed line')
  const port = Number(parts[4])
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ProxyHeaderError('PROXY v1: bad source port')
  return { source: { address: parts[2]!, port }, length }
}

/** The usual text form: the longest run of zero groups becomes `::`, IPv4-mapped stays dotted. */
function compactIpv6 (groups: string[]): string {
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    const v4 = [groups[6]!, groups[7]!].flatMap((g) => { const n = parseInt(g, 16); return [n >> 8, n & 0xff] })
    return `::ffff:${v4.join('.')}`
  }
  let best = [-1, 0]
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue }
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > best[1]! && j - i > 1) best = [i, j - i]
    i = j
  }
  if (best[0] === -1) return groups.join(':')
  return `${groups.slice(0, best[0]).join(':')}::${groups.slice(best[0]! + best[1]!).join(':')}`
}

type Socket = Duplex & { remoteAddress?: string, remotePort?: number }

/**
 * Reads the PROXY header off `socket` before any MQTT byte reaches the guards behind it:
 * installed after them (it wraps the socket's `push`, which the packet-size guard wraps too),
 * it holds incoming bytes until the header is complete, sets the socket's remoteAddress and
 * remotePort to the client's, hands the rest on and removes itself. A connection with no
 * valid header within `timeoutMs` is closed.
 */
export function expectProxyHeader (socket: Socket, timeoutMs: number, onRefused: (reason: string) => void): void {
  const push = socket.push
  let held: Buffer = Buffer.alloc(0)
  const refuse = (reason: string) => {
    clearTimeout(timer)
    socket.push = push
    onRefused(reason)
    socket.destroy()
  }
  const timer = setTimeout(() => refuse(`no PROXY header within ${timeoutMs} ms`), timeoutMs)
  timer.unref()
  socket.once('close', () => clearTimeout(timer))
  socket.push = function proxyHeaderPush (this: Socket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null || chunk === undefined) { clearTimeout(timer); return push.call(this, chunk, encoding) }
    held = held.length === 0 ? chunk as Buffer : Buffer.concat([held, chunk as Buffer])
    let header: ProxyHeader | 'incomplete'
    try {
      header = parseProxyHeader(held)
    } catch (err) {
      refuse((err as Error).message)
      return false
    }
    if (header === 'incomplete') return true
    clearTimeout(timer)
    if (header.source !== null) {
      // Own properties shadow net.Socket's getters: every later reader (the per-address
      // limits, the logs) sees the client, not the proxy.
      Object.defineProperty(socket, 'remoteAddress', { value: header.source.address, configurable: true })
      Object.defineProperty(socket, 'remotePort', { value: header.source.port, configurable: true })
    }
    socket.push = push
    const rest = held.subarray(header.length)
    held = Buffer.alloc(0)
    return rest.length > 0 ? push.call(this, rest, encoding) : true
  }
}
