import type { Aedes, Client } from 'aedes'
import type { Logger } from '../platform/logger.ts'
import type { PresenceStore, PresenceUpdate } from '../registry/presence-store.ts'
import type { Sessions } from './sessions.ts'

const WRITE_DELAY_MS = 100

/**
 * Connect, disconnect and last-seen per device. Connects and disconnects are written within
 * WRITE_DELAY_MS; "last seen" (any publish or PINGREQ) changes constantly, so it is kept in
 * memory and flushed every `flushMs`. A station whose devices stay silent longer than the
 * offline threshold counts as offline even when no will arrived (half-open TCP, power cut):
 * the API decides that from `lastSeenAt`, so a crashed broker cannot leave a station
 * "online" for ever. Service clients are not station devices: they have no presence row
 * (device_presence references devices, and one service row would fail the whole batch it is
 * written in).
 */
export function createPresenceTracker (deps: { aedes: Aedes, sessions: Sessions, store: PresenceStore, brokerId: string, flushMs: number, logger: Logger, onChange?: (u: PresenceUpdate) => void }) {
  const { aedes, sessions, store, brokerId, logger } = deps
  const current = new Map<string, Client>() // device → the connection that counts (takeover-safe)
  // device → last-seen epoch ms, not yet flushed. A number, not an ISO string: this is set on
  // every publish, and formatting a date there showed up in the hot-path profile.
  const seen = new Map<string, number>()
  const now = () => new Date().toISOString()

  // The store is async (registry/db/sql-db.ts): writes go one after another, in the order they
  // were made, so a connect is never overtaken by the reset before it or the disconnect after it.
  let queue: Promise<void> = Promise.resolve()
  function enqueue (what: string, fn: () => Promise<void>): Promise<void> {
    queue = queue.then(fn).catch((err: Error) => { logger.error({ err: err.message }, what) })
    return queue
  }

  enqueue('cannot record presence', () => store.resetBroker(brokerId, now(), 'broker restarted'))

  // Connects and disconnects are written together, at most WRITE_DELAY_MS after they happen:
  // after a broker restart thousands of devices reconnect at once, and one SQLite transaction
  // (a WAL commit, i.e. an fsync) per connect made the event loop the bottleneck of the storm.
  let changes: PresenceUpdate[] = []
  function write (u: PresenceUpdate): void {
    if (changes.push(u) === 1) setTimeout(writeChanges, WRITE_DELAY_MS).unref()
  }
  function writeChanges (): Promise<void> {
    if (changes.length === 0) return queue
    const batch = changes
    changes = []
    return enqueue('cannot record presence', async () => {
      const applied: PresenceUpdate[] = []
      try {
        // In order: a connect, then a disconnect of that connection, in one batch.
        for (let i = 0; i < batch.length;) {
          let j = i
          while (j < batch.length && batch[j]!.connected) j++
          if (j > i) {
            await store.record(batch.slice(i, j))
            applied.push(...batch.slice(i, j))
          }
          if (j === batch.length) break
          const u = batch[j]!
          // Only the connection through this broker ends: if the device has connected through
          // another node since (a takeover across nodes, whose notice closed this connection),
          // that node's "connected" stands, whichever of the two writes comes first.
          if (await store.connectionLost(u.deviceId, brokerId, u.disconnectedAt!, u.disconnectReason!)) applied.push(u)
          i = j + 1
        }
      } catch (err) {
        logger.error({ err: (err as Error).message, updates: batch.length }, 'cannot record presence')
      }
      for (const u of applied) deps.onChange?.(u)
    })
  }

  aedes.on('clientReady', (client) => {
    const s = sessions.get(client)
    if (!s || s.principal !== 'device') return
    current.set(s.deviceId, client)
    seen.delete(s.deviceId)
    const at = now()
    write({ deviceId: s.deviceId, brokerId, connected: true, lastSeenAt: at, connectedAt: at })
  })

  aedes.on('clientDisconnect', (client) => {
    const s = sessions.get(client)
    // [MQTT-3.1.4-2] a new connection with the same client id replaces the old one: the old
    // one's disconnect must not mark the device offline.
    if (!s || s.principal !== 'device' || current.get(s.deviceId) !== client) return
    current.delete(s.deviceId)
    seen.delete(s.deviceId)
    const at = now()
    // Aedes sets _disconnected only for a DISCONNECT packet; anything else (socket lost,
    // keep-alive expired, closed by the broker) is when the will is published.
    const clean = (client as unknown as { _disconnected?: boolean })._disconnected === true
    write({ deviceId: s.deviceId, brokerId, connected: false, lastSeenAt: at, disconnectedAt: at, disconnectReason: clean ? 'disconnect' : 'connection lost' })
  })

  const touch = (client: Client | null) => {
    const s = sessions.get(client)
    if (s !== undefined && s.principal === 'device') seen.set(s.deviceId, Date.now())
  }
  aedes.on('publish', (_packet, client) => touch(client))
  aedes.on('ping', (_packet, client) => touch(client))

  /** Writes what is pending; settles when it is written (or the failure logged). */
  function flush (): Promise<void> {
    const written = writeChanges()
    if (seen.size === 0) return written
    const updates: PresenceUpdate[] = []
    for (const [deviceId, lastSeenMs] of seen) {
      if (current.has(deviceId)) updates.push({ deviceId, brokerId, connected: true, lastSeenAt: new Date(lastSeenMs).toISOString() })
    }
    seen.clear()
    return enqueue('cannot flush presence', () => store.record(updates))
  }
  const timer = setInterval(() => { void flush() }, deps.flushMs)
  timer.unref()

  return {
    flush,
    /** A sign of life from a client that Aedes' events do not report (publish-fast-path.ts). */
    touch,
    connectedDevices: () => current.size,
    /**
     * The will of a device connected through a broker that died was published here
     * (orphan-wills.ts): that connection is gone. Not if the device is connected here now.
     */
    lostWithBroker (deviceId: string, deadBrokerId: string): void {
      if (current.has(deviceId)) return
      void writeChanges()
      void enqueue('cannot record presence', async () => { await store.connectionLost(deviceId, deadBrokerId, now(), 'broker lost') })
    },
    async close (): Promise<void> {
      clearInterval(timer)
      await flush()
      await enqueue('cannot record presence', () => store.resetBroker(brokerId, now(), 'broker stopped'))
    }
  }
}
