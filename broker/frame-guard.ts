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

type Socketish = Duplex & { remoteAddress?: string, remotePort?: number, setNoDelay?: (v: boolean) => unknown }

/** A socket wrapper for aedes.handle() that enforces the packet size limit on the way in. */
export function guardSocket (socket: Socketish, maxPacketBytes: number, onViolation: (reason: string) => void): Duplex {
  const feed = createFrameCounter(maxPacketBytes)
  const guarded = new Duplex({
    read () { socket.resume() },
    write (chunk, _enc, cb) { socket.write(chunk, cb) },
    // Aedes corks the connection and writes packets in pieces; without writev each piece
    // became its own syscall (a quarter of the broker's CPU in the bench profile).
    writev (chunks, cb) { socket.write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk as Buffer)), cb) },
    final (cb) { socket.end(cb) },
    destroy (err, cb) { socket.destroy(err ?? undefined); cb(err) }
  })
  socket.on('data', (chunk: Buffer) => {
    const violation = feed(chunk)
    if (violation) {
      onViolation(violation)
      socket.destroy()
      return
    }
    if (!guarded.push(chunk)) socket.pause()
  })
  socket.on('end', () => guarded.push(null))
  socket.on('close', () => guarded.destroy())
  socket.on('error', (err) => guarded.destroy(err))
  // Aedes and our logs read the peer address from the connection.
  Object.defineProperty(guarded, 'remoteAddress', { get: () => socket.remoteAddress })
  Object.defineProperty(guarded, 'remotePort', { get: () => socket.remotePort })
  return guarded
}
