// Every node's stored events, gathered for the one process that runs the rollup job and the
// alert evaluator (cluster/run-leased.ts). Each node stores what its own devices publish; this
// only tells the leased jobs about it afterwards, so it never stands between a PUBLISH and its
// PUBACK.
//
// A Redis stream rather than pub/sub (or mqemitter-redis): it keeps entries, so a node that takes
// the lease over continues from the cursor its predecessor saved instead of missing what was
// stored meanwhile. Dirty marks are idempotent, so a batch read twice after a take-over costs a
// recompute, not a wrong figure. Events are batched per node (one XADD per flush) to keep Redis
// traffic per stored event small.
import type { Redis } from 'ioredis'
import type { AnyEvent } from '../contract/index.ts'
import type { StoredListener } from '../ingest/create-ingest.ts'
import type { Logger } from '../platform/logger.ts'

export const STREAM_KEY = 'waystation:stored'
const FLUSH_MS = 50
// About this many entries (batches) are kept: minutes of a province's traffic.
const MAX_LEN = 100_000
const BLOCK_MS = 1_000
const SAVE_CURSOR_MS = 1_000

/** The producing side, on every node: ingest.onStored → batches in the stream. */
export function createFeedWriter (o: { redis: Redis, logger: Logger, node: string }) {
  let batch: Array<[string, AnyEvent]> = []
  let flushing: Promise<void> = Promise.resolve()
  const flush = (): Promise<void> => {
    if (batch.length === 0) return flushing
    const body = JSON.stringify(batch)
    batch = []
    flushing = flushing.then(() => o.redis.xadd(STREAM_KEY, 'MAXLEN', '~', String(MAX_LEN), '*', 'n', o.node, 'b', body).then(() => {}, (err: Error) => {
      // The events are stored; what is lost is their dirty marks (the hourly sweep catches up
      // recent days) and their effect on alert state until the next event.
      o.logger.error({ err: err.message, events: JSON.parse(body).length }, 'cannot hand stored events to the cluster feed')
    }))
    return flushing
  }
  const timer = setInterval(() => { void flush() }, FLUSH_MS)
  timer.unref()
  return {
    onStored: ((station, event) => { batch.push([station, event]) }) satisfies StoredListener,
    async close (): Promise<void> { clearInterval(timer); await flush() }
  }
}

/**
 * The consuming side: reads the stream from the saved cursor (or from now on the very first
 * start) and calls the listeners. Needs its own connection (XREAD BLOCK). `name`: the leased
 * job whose cursor is saved; without it (a node's live view) reading starts at the newest entry
 * and the cursor lives in memory only. `skipNode`: entries written by this producer (see
 * createFeedWriter's `node`) are skipped.
 */
export function createFeedReader (o: { redis: Redis, logger: Logger, name?: string, skipNode?: string }) {
  // One cursor per consuming job: the rollup job and the evaluator may be held by different nodes.
  const cursorKey = o.name === undefined ? null : `waystation:stored:cursor:${o.name}`
  const listeners: StoredListener[] = []
  let closed = false
  let cursor: string | null = null // the id of the last entry handed to the listeners
  let saved: string | null = null

  let started = (): void => {}
  async function loop (): Promise<void> {
    // '$' is not a cursor (it means "newest" at each call, so a loop on it would skip entries
    // added between two calls): without a saved cursor start after the newest entry there is.
    const last = await o.redis.xrevrange(STREAM_KEY, '+', '-', 'COUNT', 1)
    let from = (cursorKey === null ? null : await o.redis.get(cursorKey)) ?? last[0]?.[0] ?? '0-0'
    cursor = from
    started()
    let lastSave = Date.now()
    while (!closed) {
      try {
        const res: Array<[string, Array<[string, string[]]>]> | null = await o.redis.xread('COUNT', 100, 'BLOCK', BLOCK_MS, 'STREAMS', STREAM_KEY, from)
        for (const [, entries] of res ?? []) {
          for (const [id, fields] of entries) {
            cursor = from = id
            const body = fields[fields.indexOf('b') + 1]
            if (body === undefined || (o.skipNode !== undefined && fields[fields.indexOf('n') + 1] === o.skipNode)) continue
            for (const [station, event] of JSON.parse(body) as Array<[string, AnyEvent]>) {
              for (const l of listeners) l(station, event)
            }
          }
        }
        if (Date.now() - lastSave >= SAVE_CURSOR_MS) { await save(); lastSave = Date.now() }
      } catch (err) {
        if (closed) break
        o.logger.error({ err: (err as Error).message }, 'cluster feed read failed; retrying')
        await new Promise((r) => setTimeout(r, BLOCK_MS))
      }
    }
  }
  async function save (): Promise<void> {
    if (cursorKey === null || cursor === null || cursor === saved) return
    await o.redis.set(cursorKey, cursor)
    saved = cursor
  }

  let running: Promise<void> | null = null
  return {
    onStored: (l: StoredListener) => { listeners.push(l) },
    /** Resolves once the starting point is set: every entry added from then on is read. */
    start (): Promise<void> {
      const ready = new Promise<void>((resolve) => { started = resolve })
      running = loop()
      return Promise.race([ready, running])
    },
    async close (): Promise<void> {
      closed = true
      // XREAD BLOCK holds the connection for up to BLOCK_MS; the loop ends after it returns.
      await running?.catch(() => {})
      await save().catch((err: Error) => o.logger.warn({ err: err.message }, 'cannot save the cluster feed cursor'))
    }
  }
}
