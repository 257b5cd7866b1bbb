import { Duplex } from 'node:stream'

/**
 * Tracks MQTT frame boundaries in a byte stream and says when a packet announces a remaining
 * length above the limit. Aedes (mqtt-packet) buffers a whole packet before handing it over,
 * so without this a client could make the broker hold 256 MB per connection; here the
 * connection is cut as soon as the fixed header is read [MQTT-2.2.3: remaining length].
 */
export function createFrameCounter (maxPacketBytes: number) {
  let state: 'type' | 'length' | 'body' = 'type'
  let length = 0
  let multiplier = 1
  let lengthBytes = 0
  let remaining = 0

  /** Returns an error message when the chunk breaks the limit, else null. */
  return function feed (chunk: Uint8Array): string | null {
    let i = 0
    while (i < chunk.length) {
      if (state === 'body') {
        const take = Math.min(remaining, chunk.length - i)
        remaining -= take
        i += take
        if (remaining === 0) state = 'type'
        continue
      }
      const byte = chunk[i++]!
      if (state === 'type') {
        state = 'length'
        length = 0
        multiplier = 1
        lengthBytes = 0
        continue
      }
      // Variable byte integer: 7 bits per byte, at most 4 bytes [MQTT-2.2.3].
      length += (byte & 0x7f) * multiplier
      multiplier *= 128
      if (++lengthBytes > 4) return 'malformed remaining length'
      if ((byte & 0x80) !== 0) continue
      if (length > maxPacketBytes) return `packet of ${length} bytes exceeds the ${maxPacketBytes}-byte limit`
      remaining = length
      state = remaining === 0 ? 'type' : 'body'
    }
    return null
  }
}

type Pushable = Duplex & { remoteAddress?: string }

/**
 * Enforces the packet size limit on the way in, on the connection itself: every transport we
 * serve (net.Socket, TLSSocket, the ws stream) hands received bytes to the stream through its
 * own `push()` (net/tls: onStreamRead in node:internal/stream_base_commons), so the guard sits
 * in front of that one method. An earlier version wrapped each connection in a second Duplex:
 * that cost ~2 KB per connection and a copy of every stream operation on both sides (a quarter
 * of the broker's CPU before writev, still ~6% after). The security tests cover TCP, TLS and
 * WebSocket so a Node change that bypasses `push()` fails CI, not production.
 */
export function guardSocket<S extends Pushable> (socket: S, maxPacketBytes: number, onViolation: (reason: string) => void): S {
  const feed = createFrameCounter(maxPacketBytes)
  const push = socket.push
  socket.push = function guardedPush (this: S, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null && chunk !== undefined && !socket.destroyed) {
      const violation = feed(chunk as Uint8Array)
      if (violation) {
        onViolation(violation)
        socket.destroy()
        return false
      }
    }
    return push.call(this, chunk, encoding)
  }
  return socket
}
