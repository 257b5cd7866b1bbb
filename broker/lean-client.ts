import { createRequire } from 'node:module'

// Per-connection memory that Aedes 1.2 allocates and Waystation does not need (issue 15, item 6:
// 10,000 connected stations). Leans on the same pinned internals as publish-fast-path.ts.
//
// mqtt-packet's parser keeps the bytes of a packet not yet complete in `bl()`, a
// BufferListStream: a full Duplex stream (readable and writable state, buffer lists, event
// emitter) per connection, of which the parser only uses the buffer-list methods (append,
// consume, length, readUInt*, slice, toString). bl's plain BufferList has exactly those: ~1 KB
// of heap less per connection (heap snapshots of 10,000 connections, bench/RESULTS.md). Taken
// from the bl that mqtt-packet itself loads, so it cannot be another version. After a protocol
// error the parser makes itself a new bl() (mqtt-packet's _resetState); Aedes closes such a
// connection anyway.
const requireFromParser = createRequire(createRequire(import.meta.url).resolve('mqtt-packet'))
const { BufferList } = requireFromParser('bl') as { BufferList: new () => unknown }

type ParserInternals = { _list: { length: number }, settings: { protocolVersion?: number, bridgeMode?: boolean } }

/** Gives a fresh client's parser a plain buffer list (none of its bytes are buffered yet). */
export function leanParser (parser: unknown): void {
  const p = parser as ParserInternals
  if (p._list?.length === 0) p._list = new BufferList() as ParserInternals['_list']
}

// After a CONNECT, mqtt-packet keeps the whole CONNECT packet as its parser's `settings` for the
// life of the connection (it reads two fields of it: protocolVersion and bridgeMode), and with it
// the client's password (the device secret, as a slice that also pins the socket read it came
// in), username, client id and will: in the 10,000-connection heap snapshot, the one retainer
// of 10,000 Packets and their password Buffers. A shared object with those two fields does.
const SETTINGS = new Map<number, ParserInternals['settings']>([3, 4, 5].map((v) => [v, Object.freeze({ protocolVersion: v })]))

/** Call with each CONNECT the parser emits. */
export function forgetConnect (parser: unknown, packet: { protocolVersion?: number, bridgeMode?: boolean }): void {
  const p = parser as ParserInternals
  if (p.settings !== packet) return
  const version = packet.protocolVersion ?? 4
  p.settings = packet.bridgeMode === true ? { protocolVersion: version, bridgeMode: true } : SETTINGS.get(version) ?? { protocolVersion: version }
}
