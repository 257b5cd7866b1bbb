import { parseBatch, parseMessage, type AnyEvent, type Channel, type ParseResult } from '../contract/index.ts'
import type { Logger } from '../platform/logger.ts'
import { rejectionCode, type Metrics } from '../platform/metrics.ts'
import { RefusedError, type BatchWriter } from './batch-writer.ts'
import { channelCounters } from './channel-counters.ts'
import { rejectedLine } from './rejected.ts'
import { eventToLine } from './to-line.ts'

export type IngestInput = {
  stationId: string
  channel: Channel
  /** A batch upload (`.../batch` topic): `{ events: [...] }`, acknowledged as a unit. */
  batch: boolean
  /** The authenticated device that sent the message. */
  deviceId: string
  payload: Uint8Array
}

/** How many events were stored as data and how many as `rejected` records. */
export type IngestOutcome = { readonly stored: number, readonly rejected: number }
export type IngestDone = (err: Error | null, outcome?: IngestOutcome) => void

// Shared outcomes of a single message: no allocation per message on the hot path.
const STORED_ONE: IngestOutcome = Object.freeze({ stored: 1, rejected: 0 })
const REJECTED_ONE: IngestOutcome = Object.freeze({ stored: 0, rejected: 1 })

/**
 * Called after an event is durably stored, in the order stores complete. This is where
 * consumers of the live stream attach (rollup dirty-tracking, live state, alerts): they see
 * exactly what InfluxDB has, never an event that might still be lost. Listeners must be cheap
 * and must not throw; heavy work goes to their own queue.
 */
export type StoredListener = (stationId: string, event: AnyEvent) => void

export type Ingest = ReturnType<typeof createIngest>

/**
 * input → parse/validate → to point → batched output. `handleMessage` calls back once every
 * event of the message is durably in InfluxDB, as data or as a `rejected` record, and with an
 * error only when something could not be stored at all (buffer full, shutting down): then the
 * caller must not acknowledge the message, and the device sends it again (stored parts
 * overwrite themselves). A single event costs no promise: at tens of thousands of messages per
 * second the microtask and GC cost of a promise chain per message was a fifth of the process.
 */
export function createIngest (deps: { writer: BatchWriter, logger: Logger, metrics?: Metrics }) {
  const { writer, logger, metrics } = deps
  const counts = { received: 0, stored: 0, rejected: 0 }
  const listeners: StoredListener[] = []
  const receivedIn = channelCounters(metrics?.received)
  const storedIn = channelCounters(metrics?.stored)

  /** Store a `rejected` record; calls back with false, or with the error that kept it out. */
  function reject (input: IngestInput, reason: string, payload: Uint8Array, batch: boolean, done: (err: Error | null) => void): void {
    counts.rejected++
    metrics?.rejected.inc({ reason: rejectionCode(reason) })
    logger.warn({ station: input.stationId, channel: input.channel, device: input.deviceId, reason }, 'event rejected')
    const line = rejectedLine({ station: input.stationId, channel: input.channel, client: input.deviceId, reason, payload, batch })
    const refused = writer.enqueue(line, 1, done)
    if (refused) done(refused)
  }

  function stored (input: IngestInput, event: AnyEvent): void {
    counts.stored++
    storedIn(input.channel)
    for (const listener of listeners) {
      try {
        listener(input.stationId, event)
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'stored-event listener failed')
      }
    }
  }

  /** Calls back true when stored as data, false when stored as rejected. */
  function storeOne (input: IngestInput, parsed: ParseResult, raw: () => Uint8Array, label: string, done: (err: Error | null, asData?: boolean) => void): void {
    const asRejected = (reason: string) => reject(input, label + reason, raw(), false, (err) => done(err, false))
    if (!parsed.ok) return asRejected(parsed.reason)
    // (device, seq) must be unique for de-duplication to be sound, so a device may only speak
    // for itself: one credential per device.
    const event = parsed.event
    if (event.payload.device !== input.deviceId) {
      // Masked like any value of a refused payload: a slug can be a phone number.
      return asRejected(`device "<string:${event.payload.device.length}>" does not match the authenticated device "${input.deviceId}"`)
    }
    let line: string
    try {
      line = eventToLine(input.stationId, event)
    } catch (err) {
      return asRejected(`cannot encode: ${(err as Error).message}`)
    }
    const refused = writer.enqueue(line, 1, (err) => {
      if (err === null) {
        stored(input, event)
        done(null, true)
      } else if (err instanceof RefusedError) {
        asRejected(`InfluxDB refused the point: ${err.message}`)
      } else {
        done(err)
      }
    })
    if (refused) done(refused)
  }

  function handleMessage (input: IngestInput, done: IngestDone): void {
    counts.received++
    receivedIn(input.channel)
    if (input.batch) {
      handleBatch(input).then((outcome) => done(null, outcome), (err: Error) => done(err))
      return
    }
    storeOne(input, parseMessage(input.channel, input.payload), () => input.payload, '', (err, asData) => {
      if (err) done(err)
      else done(null, asData === true ? STORED_ONE : REJECTED_ONE)
    })
  }

  async function handleBatch (input: IngestInput): Promise<IngestOutcome> {
    const batch = parseBatch(input.channel, input.payload)
    if (!batch.ok) {
      await new Promise<void>((resolve, fail) => reject(input, `batch: ${batch.reason}`, input.payload, true, (err) => { if (err) fail(err); else resolve() }))
      return REJECTED_ONE
    }
    // Each event is its own writer entry: they still travel in one InfluxDB write, but a point
    // InfluxDB refuses is isolated without failing its neighbours.
    const results = await Promise.all(batch.items.map((item, i) => new Promise<boolean>((resolve, fail) =>
      storeOne(input, item, () => Buffer.from(JSON.stringify(batch.raw[i]) ?? ''), `batch events[${i}]: `,
        (err, asData) => { if (err) fail(err); else resolve(asData === true) }))))
    const storedCount = results.filter(Boolean).length
    return { stored: storedCount, rejected: results.length - storedCount }
  }

  return {
    handleMessage,
    /** `handleMessage` as a promise. */
    handle: (input: IngestInput): Promise<IngestOutcome> => new Promise((resolve, fail) =>
      handleMessage(input, (err, outcome) => { if (err) fail(err); else resolve(outcome!) })),
    onStored: (listener: StoredListener) => { listeners.push(listener) },
    /** Resolves when nothing submitted so far is still waiting for InfluxDB. */
    idle: () => writer.idle(),
    /** Stop accepting and finish (or, after graceMs, give up on) the writes in flight. */
    close: (graceMs: number) => writer.close(graceMs),
    stats: () => ({ ...counts, writer: writer.stats() })
  }
}
