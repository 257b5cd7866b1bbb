import type { Aedes, Client, PublishPacket } from 'aedes'
import type { Duplex } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { admitDevicePublish, isRefusal, type DeviceIngest, type PublishGate } from './authorize-publish.ts'
import { forgetConnect, leanParser } from './lean-client.ts'
import type { Sessions } from './sessions.ts'

// The publish every device sends all day (QoS 1, not retained, to its own station's data
// topics) goes from the MQTT parser straight to ingest and, once stored, to a PUBACK. Aedes'
// own path for it runs the publish handlers, then `broker.publish`: a persistence lookup of
// offline subscriptions, a topic match, a 'publish' event and a callback chain per message,
// for topics that only service clients and hubs can subscribe to. Skipping it while nobody has
// subscribed to such a topic took the process from 14.2 to 10.6 µs per message and the closed
// loop from 55k to 64k events/s (bench/RESULTS.md). Once a subscriber may be listening, the
// stored message is handed to `aedes.publish` as before, so subscribers see what they saw.
//
// Everything else (QoS 0 and 2, retained status, services' commands, a device publishing
// where it may not, a device over its cap, shutdown) takes Aedes' path, whose authorizePublish
// hook refuses, logs and counts. Both apply the same rules (`admitDevicePublish`), so this file
// only ever takes a publish that hook would accept.
//
// It leans on Aedes 1.2 internals, pinned by the exact version in package.json and covered
// by every broker test: the parser's 'packet' listener, and the per-read counter
// `_parsingBatch` with its `_nextBatch` callback, which make Aedes read a client's socket again
// only when every publish of the previous read is done (TCP flow control per device).

type AedesClient = Client & {
  _parser: { listeners (e: 'packet'): Array<(packet: unknown) => void>, removeListener (e: 'packet', f: (packet: unknown) => void): void, on (e: 'packet', f: (packet: unknown) => void): void }
  _parsingBatch: number
  _nextBatch: (err?: Error) => void
  _keepaliveInterval: number
  _keepaliveTimer: NodeJS.Timeout | null
  connackSent: boolean
  conn: Duplex
}

export type FastPathDeps = {
  aedes: Aedes
  sessions: Sessions
  gate: PublishGate
  maxPendingPerClient: number
  ingestDevicePublish: DeviceIngest
  /** False while no subscription that can match `topic` exists: nothing to forward. */
  liveConsumers: (topic: string) => boolean
  /** A publish counts as a sign of life (presence), as Aedes' 'publish' event would tell. */
  seen: (client: Client) => void
  /**
   * Forwarding a stored, acknowledged message failed (in a cluster: Redis unreachable). The
   * device has its PUBACK and will not resend, so its connection stays: forwarding is at most
   * once, storage is what the PUBACK promised.
   */
  forwardFailed: (err: Error) => void
}

export function createPublishFastPath (deps: FastPathDeps) {
  const { aedes, sessions, gate, ingestDevicePublish } = deps
  // Aedes' typings omit the (packet, client, done) form its own handlers use.
  const publishAs = aedes.publish.bind(aedes) as unknown as (packet: PublishPacket, client: Client, done: (err?: Error | null) => void) => void

  function take (client: AedesClient, packet: PublishPacket): boolean {
    if (packet.cmd !== 'publish' || packet.qos !== 1 || packet.retain || !client.connackSent || !gate.accepting) return false
    const session = sessions.get(client)
    if (session === undefined || session.principal !== 'device') return false
    const target = admitDevicePublish(session, packet.topic, deps.maxPendingPerClient)
    if (isRefusal(target)) return false
    // What Aedes' handler does for every packet: keep-alive, and hold the next socket read.
    if (client._keepaliveInterval > 0) client._keepaliveTimer?.refresh()
    client._parsingBatch++
    deps.seen(client)
    ingestDevicePublish(session, target, packet, (err) => {
      // Not stored: Aedes' own reaction to a failed packet (error event, connection closed,
      // no PUBACK), so the device resends.
      if (err) return client._nextBatch(err)
      writePuback(client.conn, packet.messageId!)
      // With the publishing client, as Aedes' handler passes it (no-local, the 'publish' event).
      if (deps.liveConsumers(packet.topic)) {
        publishAs(packet, client, (e) => {
          if (e) deps.forwardFailed(e)
          client._nextBatch()
        })
      }
      else client._nextBatch()
    })
    return true
  }

  /** Wraps Aedes' connection handler: the same client, with publishes offered here first. */
  return function handle (stream: Duplex, req?: IncomingMessage): AedesClient {
    const client = (aedes.handle as unknown as (s: Duplex, r?: IncomingMessage) => AedesClient)(stream, req)
    const parser = client._parser
    leanParser(parser)
    const [aedesListener] = parser.listeners('packet')
    if (aedesListener === undefined) return client
    parser.removeListener('packet', aedesListener)
    parser.on('packet', function (this: unknown, packet: unknown) {
      if (take(client, packet as PublishPacket)) return
      if ((packet as { cmd: string }).cmd === 'connect') forgetConnect(parser, packet as { protocolVersion?: number })
      aedesListener.call(this, packet)
    })
    return client
  }
}

function uncork (conn: Duplex): void { conn.uncork() }

/**
 * PUBACK: fixed header 0x40, remaining length 2, packet identifier [MQTT-3.4] (Aedes 1.2 speaks
 * MQTT 3.1 and 3.1.1 only and refuses MQTT 5 at CONNECT). Corked until the end of the tick, as
 * mqtt-packet does, so the PUBACKs a write's completion releases for one client leave in one
 * system call.
 */
function writePuback (conn: Duplex, messageId: number): void {
  if (conn.destroyed) return
  const b = Buffer.allocUnsafe(4)
  b[0] = 0x40
  b[1] = 2
  b.writeUInt16BE(messageId, 2)
  if (!conn.writableCorked) {
    conn.cork()
    process.nextTick(uncork, conn)
  }
  conn.write(b)
}
