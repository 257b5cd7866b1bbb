import { close as closeFd, closeSync, constants, existsSync, fsyncSync, ftruncate, mkdirSync, open as openFd, openSync, readFileSync, readdirSync, rename, renameSync, statSync, writeFile, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import type { IClientOptions, IStore, Packet } from 'mqtt'

// A durable outgoing store for MQTT.js: what a device keeps in flash until the PUBACK. One
// append-only JSON-lines log per client of `put` and `del` records; the live entries (put, not
// yet deleted) are also kept in memory, in insertion order.
//
// Durability: a put's callback runs only once its record is on disk (the log is opened
// O_DSYNC), and MQTT.js writes a QoS 1 PUBLISH to the socket only from that callback
// (client.js `_storeAndSend`), so the broker never acknowledges a message that is not on
// disk: no loss window for puts. Writes are group commits: whatever arrives while one write
// is running goes out together in the next, so thousands of messages per second cost a few
// synchronous writes per client, not thousands. A `del` (the PUBACK arrived) is answered at
// once and written with the next put, or within DEL_DELAY_MS when no put follows: a crash
// can lose the deletes of the last second, so those messages are sent once more after a
// restart, and the backend stores a resent message on the same point.

const [fsWrite, fsOpen, fsClose, fsRename, fsTruncate] = [promisify(writeFile), promisify(openFd), promisify(closeFd), promisify(rename), promisify(ftruncate)]

// Deletes not followed by a put within this time are written on their own.
const DEL_DELAY_MS = 1000
// O_DSYNC: a write returns once its data is on disk; one system call (one trip to libuv's
// thread pool) instead of write + fdatasync.
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC
const REWRITE = constants.O_WRONLY | constants.O_TRUNC | constants.O_CREAT | constants.O_DSYNC

type Done = (err?: Error) => void
type Entry = { packet: Packet, line: string, recovered: boolean }
type MessageIdProvider = NonNullable<IClientOptions['messageIdProvider']>

export type FileStoreOptions = {
  /** Rewrite the log when it passes this size and 4 times the live entries' size; default 4 MiB. */
  compactBytes?: number
  /** An entry loaded from a previous run was acknowledged. */
  onRecoveredAck?: () => void
  /** Writing failed: the store can no longer keep its promise (pending puts get the error too). */
  onError?: (err: Error) => void
}

export type FileStore = ReturnType<typeof openFileStore>

const putLine = (id: number, p: Packet): string => JSON.stringify(p.cmd === 'publish'
  ? { op: 'put', id, cmd: 'publish', topic: p.topic, payload: Buffer.from(p.payload).toString('base64'), qos: p.qos, retain: p.retain }
  : { op: 'put', id, cmd: p.cmd }) + '\n'

/** Live entries of a log; a line that does not parse (a write torn by a crash) is skipped. */
export function readLog (path: string): { packets: Map<number, Packet>, skipped: number } {
  const packets = new Map<number, Packet>()
  let skipped = 0
  if (!existsSync(path)) return { packets, skipped }
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue
    let r: { op?: string, id?: number, cmd?: string, topic?: string, payload?: string, qos?: 0 | 1 | 2, retain?: boolean }
    try { r = JSON.parse(line) } catch { skipped++; continue }
    if (typeof r.id !== 'number') { skipped++; continue }
    // Deleting first keeps the order of a re-used messageId: it is a new message.
    packets.delete(r.id)
    if (r.op !== 'put') continue
    packets.set(r.id, r.cmd === 'publish'
      ? { cmd: 'publish', messageId: r.id, topic: r.topic ?? '', payload: Buffer.from(r.payload ?? '', 'base64'), qos: r.qos ?? 1, retain: r.retain === true, dup: true }
      : { cmd: r.cmd, messageId: r.id } as Packet)
  }
  return { packets, skipped }
}

/** Unacknowledged messages kept in `dir` (by clients of a previous run). */
export function countStored (dir: string): { clients: number, messages: number } {
  let clients = 0
  let messages = 0
  if (!existsSync(dir)) return { clients, messages }
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.jsonl')) continue
    const n = readLog(join(dir, name)).packets.size
    if (n > 0) { clients++; messages += n }
  }
  return { clients, messages }
}

const syncDir = (dir: string): void => { const fd = openSync(dir, 'r'); try { fsyncSync(fd) } finally { closeSync(fd) } }

/** Opens (creating, or loading and compacting) the log at `path`; synchronous, so it can go straight into `mqtt.connect` options. */
export function openFileStore (path: string, opts: FileStoreOptions = {}) {
  const compactBytes = opts.compactBytes ?? 4 * 1024 * 1024
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  const live = new Map<number, Entry>()
  let liveBytes = 0 // string lengths: the lines are ASCII but for exotic topics
  const { packets, skipped } = readLog(path)
  for (const [id, packet] of packets) {
    const line = putLine(id, packet)
    live.set(id, { packet, line, recovered: true })
    liveBytes += line.length
  }
  const snapshot = (): string => { let s = ''; for (const e of live.values()) s += e.line; return s }
  let logBytes = liveBytes
  const tmp = `${path}.tmp`
  if (existsSync(path) && statSync(path).size > 0) {
    // Compaction on open drops deleted entries and a torn last line, so appends start on a
    // clean line: a temporary file written O_DSYNC, atomic rename, fsync of the directory.
    const t = openSync(tmp, REWRITE)
    try { writeFileSync(t, snapshot()) } finally { closeSync(t) }
    renameSync(tmp, path)
  }
  let fd = openSync(path, APPEND)
  syncDir(dir) // the file's name, new or renamed, is durable too

  let pending: string[] = []
  let waiting: Done[] = []
  let flushing = false
  let idle: Array<() => void> = []
  let failed: Error | undefined
  let closed = false

  async function compact (): Promise<void> {
    // The snapshot already holds every pending put and lacks every pending del.
    const body = snapshot()
    const next = await fsOpen(tmp, REWRITE)
    await fsWrite(next, body)
    await fsRename(tmp, path)
    syncDir(dir)
    await fsClose(fd)
    fd = next // positioned at the end of the snapshot
    logBytes = body.length
  }

  async function flushLoop (): Promise<void> {
    while (pending.length > 0 && failed === undefined) {
      const lines = pending.join('')
      const callbacks = waiting
      pending = []
      waiting = []
      try {
        logBytes += lines.length
        if (logBytes > Math.max(compactBytes, 4 * liveBytes)) await compact()
        else await fsWrite(fd, lines)
        for (const cb of callbacks) cb()
      } catch (err) {
        failed = err as Error
        for (const cb of [...callbacks, ...waiting.splice(0)]) cb(failed)
        opts.onError?.(failed)
      }
    }
    flushing = false // set in the same tick as the last check, so no put is left behind
    for (const f of idle.splice(0)) f()
  }
  let lazy: NodeJS.Timeout | undefined
  const schedule = (): void => {
    if (lazy !== undefined) { clearTimeout(lazy); lazy = undefined }
    if (flushing) return
    flushing = true
    // One tick's worth of publishes goes into the first group.
    setImmediate(() => { void flushLoop() })
  }

  const store = {
    /** Messages loaded from a previous run, and lines of the log that could not be read. */
    recovered: live.size,
    skipped,
    get size () { return live.size },
    has: (id: number): boolean => live.has(id),
    ids: (): number[] => [...live.keys()],
    put (packet: Packet, cb: Done): IStore {
      if (closed || failed !== undefined) { cb(failed ?? new Error('store closed')); return store }
      const id = packet.messageId as number
      const line = putLine(id, packet)
      const old = live.get(id)
      if (old !== undefined) { live.delete(id); liveBytes -= old.line.length }
      live.set(id, { packet, line, recovered: false })
      liveBytes += line.length
      pending.push(line)
      waiting.push(cb)
      schedule()
      return store
    },
    get (packet: Pick<Packet, 'messageId'>, cb: (err?: Error, packet?: Packet) => void): IStore {
      const e = live.get(packet.messageId as number)
      if (e === undefined) cb(new Error('missing packet'))
      else cb(undefined, e.packet)
      return store
    },
    del (packet: Pick<Packet, 'messageId'>, cb: (err?: Error, packet?: Packet) => void): IStore {
      const id = packet.messageId as number
      const e = live.get(id)
      if (e === undefined) { cb(new Error('missing packet')); return store }
      live.delete(id)
      liveBytes -= e.line.length
      if (e.recovered) opts.onRecoveredAck?.()
      if (!closed && failed === undefined) {
        pending.push(`{"op":"del","id":${id}}\n`)
        // Deletes ride along with the next puts; alone, they wait a little (see the top).
        if (!flushing && lazy === undefined) { lazy = setTimeout(schedule, DEL_DELAY_MS); lazy.unref() }
      }
      cb(undefined, e.packet)
      return store
    },
    /** The live entries in the order they were put. MQTT.js resends them on every connect. */
    createStream (): ReturnType<IStore['createStream']> {
      const packets = [...live.values()].map((e) => e.packet)
      return Readable.from(packets, { objectMode: true }) as unknown as ReturnType<IStore['createStream']>
    },
    /** Resolves when everything put or deleted so far is on disk. */
    flush (): Promise<void> {
      if (pending.length > 0) schedule()
      return flushing ? new Promise((resolve) => idle.push(resolve)) : Promise.resolve()
    },
    close (cb: Done): void {
      if (closed) { cb(); return }
      closed = true
      // Nothing left: an empty file, so the next open has nothing to read or rewrite.
      store.flush().then(() => (live.size === 0 && failed === undefined ? fsTruncate(fd, 0) : undefined)).then(() => fsClose(fd)).then(() => cb(), cb)
    }
  }
  return store
}

/**
 * messageIds not in the store. MQTT.js's default provider counts from a random start and keeps
 * no record (default-message-id-provider.js): a restarted client, publishing before CONNACK,
 * could reuse a stored message's id, and the put would overwrite that message.
 */
export function storeIdProvider (store: Pick<FileStore, 'has'>, start = 1): MessageIdProvider {
  let next = Math.min(Math.max(1, start), 65535)
  let last: number | null = null
  // register/deallocate/clear: nothing to track, the store is the record of ids in use.
  return {
    allocate () {
      for (let i = 0; i < 65535; i++) {
        const id = next
        next = next === 65535 ? 1 : next + 1
        if (!store.has(id)) { last = id; return id }
      }
      return null // all 65535 in flight: MQTT.js queues the publish until a PUBACK frees one
    },
    getLastAllocated: () => last,
    register: () => true,
    deallocate: () => {},
    clear: () => {}
  }
}

/** `mqtt.connect` options for a client whose unacknowledged messages survive a restart: DIR/<clientId>.jsonl. */
export function durableOutgoing (dir: string, clientId: string, opts: FileStoreOptions = {}) {
  const store = openFileStore(join(dir, `${encodeURIComponent(clientId)}.jsonl`), opts)
  // New ids continue after the stored ones, like the device's counter would.
  const start = Math.max(0, ...store.ids()) + 1
  return { store, options: { outgoingStore: store, messageIdProvider: storeIdProvider(store, start) } satisfies IClientOptions }
}
