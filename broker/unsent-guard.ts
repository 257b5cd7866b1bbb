import type { Duplex } from 'node:stream'

export type UnsentLimit = {
  /**
   * Bytes written to the client and not yet taken by the kernel (MQTT_MAX_UNSENT_BYTES); at
   * least the stream's own high-water mark.
   */
  maxUnsentBytes: number
  /** How long a client may stay above the bound before it is disconnected (MQTT_UNSENT_TIMEOUT_MS). */
  timeoutMs: number
}

export type UnsentEvents = { onPause (socket: Duplex): void, onStall (socket: Duplex): void }

/**
 * Stops reading from a client that does not read what the broker writes to it. Every publish
 * the broker reads ends in a PUBACK written back; a client that keeps publishing and never
 * reads would otherwise have them pile up in the process once the kernel's send buffer is full
 * (~270 B of memory per unsent PUBACK), and its publishes keep its keep-alive fresh, so it is
 * never dropped. Neither publish path can see it: the fast path's PUBACK and Aedes' (mqtt-packet's
 * `confirmation()` always reports success, so `drainTimeout` never applies) both let the next
 * socket read go as soon as the message is stored.
 *
 * Both paths read a client through `read()` (Aedes' client reads when the previous read's
 * publishes are done), so the check sits there, once per read, not per message: above the
 * bound, `read()` returns nothing, the stream's buffer fills, Node stops reading the socket and
 * TCP flow control stops the client. On 'drain' (all output taken) reading resumes; after
 * `timeoutMs` without it the connection is closed (no PUBACK is lost: a publish whose PUBACK
 * did not leave is resent by the device, and the stored copy is the same point).
 */
export function limitUnsent<S extends Duplex> (socket: S, limit: UnsentLimit, events: UnsentEvents): S {
  const read = socket.read
  // 'drain', which resumes, only comes after a write found the stream above its own high-water
  // mark (64 KiB on Node 24): that is the floor of the bound.
  const bound = Math.max(limit.maxUnsentBytes, socket.writableHighWaterMark)
  let paused = false
  // A read was refused while paused: Aedes now waits for 'readable' before it reads again.
  let starved = false
  let timer: NodeJS.Timeout | undefined

  function resume (): void {
    clearTimeout(timer)
    paused = false
    if (starved && !socket.destroyed) {
      starved = false
      socket.emit('readable')
    }
  }
  function stall (): void {
    if (socket.destroyed || !paused) return
    events.onStall(socket)
    socket.destroy()
  }

  socket.read = function limitedRead (this: S, n?: number) {
    if (!paused) {
      if (socket.writableLength <= bound || !socket.writableNeedDrain || socket.destroyed) return read.call(this, n)
      paused = true
      events.onPause(socket)
      socket.once('drain', resume)
      timer = setTimeout(stall, limit.timeoutMs)
      timer.unref()
    }
    starved = true
    return null
  }
  return socket
}
