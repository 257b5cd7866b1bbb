import { parseBatch, parseMessage, type AnyEvent, type Channel, type ParseResult } from '../contract/index.ts'
import type { Logger } from '../platform/logger.ts'
import { rejectionCode, type Metrics } from '../platform/metrics.ts'
import { RefusedError, type BatchWriter } from './batch-writer.ts'
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
export type IngestOutcome = { stored: number, rejected: number }

/**
 * Called after an event is durably stored, in the order stores complete. This is where
 * consumers of the live stream attach (rollup dirty-tracking, live state, alerts): they see
 * exactly what InfluxDB has, never an event that might still be lost. Listeners must be cheap
 * and must not throw; heavy work goes to their own queue.
 */
export type StoredListener = (stationId: string, event: AnyEvent) => void

export type Ingest = ReturnType<typeof createIngest>

/**
 * input → parse/validate → to point → batched output. `handle` resolves once every event of
 * the message is durably in InfluxDB, as data or as a `rejected` record, and rejects only when
 * something could not be stored at all (buffer full, shutting down): then the caller must not
 * acknowledge the message, and the device sends it again (stored parts overwrite themselves).
 */
export function createIngest (deps: { writer: BatchWriter, logger: Logger, metrics?: Metrics }) {
  const { writer, logger, metrics } = deps
  const counts = { received: 0, stored: 0, rejected: 0 }
  const listeners: StoredListener[] = []

  async function reject (input: IngestInput, reason: string, payload: Uint8Array): Promise<false> {
    counts.rejected++
    metrics?.rejected.inc({ reason: rejectionCode(reason) })
    logger.warn({ station: input.stationId, channel: input.channel, device: input.deviceId, reason }, 'event rejected')
    await writer.submit([rejectedLine({ station: input.stationId, channel: input.channel, client: input.deviceId, reason, payload })])
    return false
  }

  /** true when stored as data, false when stored as rejected. */
  async function storeOne (input: IngestInput, parsed: ParseResult, raw: () => Uint8Array, label: string): Promise<boolean> {
    if (!parsed.ok) return reject(input, label + parsed.reason, raw())
    // (device, seq) must be unique for de-duplication to be sound, so a device may only speak
    // for itself: one credential per device.
    if (parsed.event.payload.device !== input.deviceId) {
      return reject(input, `${label}device "${parsed.event.payload.device}" does not match the authenticated device "${input.deviceId}"`, raw())
    }
    let line: string
    try {
      line = eventToLine(input.stationId, parsed.event)
    } catch (err) {
      return reject(input, `${label}cannot encode: ${(err as Error).message}`, raw())
    }
    try {
      await writer.submit([line])
    } catch (err) {
      if (err instanceof RefusedError) return reject(input, `${label}InfluxDB refused the point: ${err.message}`, raw())
      throw err
    }
    counts.stored++
    metrics?.stored.inc({ channel: input.channel })
    for (const listener of listeners) {
      try {
        listener(input.stationId, parsed.event)
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'stored-event listener failed')
      }
    }
    return true
  }

  async function handle (input: IngestInput): Promise<IngestOutcome> {
    counts.received++
    metrics?.received.inc({ channel: input.channel })
    if (!input.batch) {
      const ok = await storeOne(input, parseMessage(input.channel, input.payload), () => input.payload, '')
      return ok ? { stored: 1, rejected: 0 } : { stored: 0, rejected: 1 }
    }
    const batch = parseBatch(input.channel, input.payload)
    if (!batch.ok) {
      await reject(input, `batch: ${batch.reason}`, input.payload)
      return { stored: 0, rejected: 1 }
    }
    // Each event is its own writer entry: they still travel in one InfluxDB write, but a point
    // InfluxDB refuses is isolated without failing its neighbours.
    const results = await Promise.all(batch.items.map((item, i) =>
      storeOne(input, item, () => Buffer.from(JSON.stringify(batch.raw[i]) ?? ''), `batch events[${i}]: `)))
    const stored = results.filter(Boolean).length
    return { stored, rejected: results.length - stored }
  }

  return {
    handle,
    onStored: (listener: StoredListener) => { listeners.push(listener) },
    /** Resolves when nothing submitted so far is still waiting for InfluxDB. */
    idle: () => writer.idle(),
    /** Stop accepting and finish (or, after graceMs, give up on) the writes in flight. */
    close: (graceMs: number) => writer.close(graceMs),
    stats: () => ({ ...counts, writer: writer.stats() })
  }
}
