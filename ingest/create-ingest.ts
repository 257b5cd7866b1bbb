import { parseMessage, type AnyEvent, type Channel } from '../contract/index.ts'
import type { Logger } from '../platform/logger.ts'
import { RefusedError, type BatchWriter } from './batch-writer.ts'
import { rejectedLine } from './rejected.ts'
import { eventToLine } from './to-line.ts'

export type IngestInput = {
  stationId: string
  channel: Channel
  /** The authenticated device that sent the message. */
  deviceId: string
  payload: Uint8Array
}

export type IngestOutcome = { stored: true } | { stored: false, reason: string }

/**
 * Called after an event is durably stored, in the order stores complete. This is where
 * consumers of the live stream attach (rollup dirty-tracking, live state, alerts): they see
 * exactly what InfluxDB has, never an event that might still be lost. Listeners must be cheap
 * and must not throw; heavy work goes to their own queue.
 */
export type StoredListener = (stationId: string, event: AnyEvent) => void

export type Ingest = ReturnType<typeof createIngest>

/**
 * input → parse/validate → to point → batched output. `handle` resolves once the message is
 * durably in InfluxDB, either as data or as a `rejected` record, and rejects only when it could
 * not be stored at all (buffer full, shutting down): then the caller must not acknowledge it.
 */
export function createIngest (deps: { writer: BatchWriter, logger: Logger }) {
  const { writer, logger } = deps
  const counts = { received: 0, stored: 0, rejected: 0 }
  const listeners: StoredListener[] = []

  async function reject (input: IngestInput, reason: string): Promise<IngestOutcome> {
    counts.rejected++
    logger.warn({ station: input.stationId, channel: input.channel, device: input.deviceId, reason }, 'message rejected')
    await writer.submit([rejectedLine({
      station: input.stationId,
      channel: input.channel,
      client: input.deviceId,
      reason,
      payload: input.payload
    })])
    return { stored: false, reason }
  }

  async function handle (input: IngestInput): Promise<IngestOutcome> {
    counts.received++
    const parsed = parseMessage(input.channel, input.payload)
    if (!parsed.ok) return reject(input, parsed.reason)
    // (device, seq) must be unique for de-duplication to be sound, so a device may only speak
    // for itself: one credential per device.
    if (parsed.event.payload.device !== input.deviceId) {
      return reject(input, `device "${parsed.event.payload.device}" does not match the authenticated device "${input.deviceId}"`)
    }
    let line: string
    try {
      line = eventToLine(input.stationId, parsed.event)
    } catch (err) {
      return reject(input, `cannot encode: ${(err as Error).message}`)
    }
    try {
      await writer.submit([line])
    } catch (err) {
      if (err instanceof RefusedError) return reject(input, `InfluxDB refused the point: ${err.message}`)
      throw err
    }
    counts.stored++
    for (const listener of listeners) {
      try {
        listener(input.stationId, parsed.event)
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'stored-event listener failed')
      }
    }
    return { stored: true }
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
