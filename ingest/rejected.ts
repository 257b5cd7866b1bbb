import type { Channel } from '../contract/index.ts'
import { formatLine } from './line-protocol.ts'
import { maskPayload } from './mask-payload.ts'

export const MAX_STORED_PAYLOAD_CHARS = 1024
export const MAX_REASON_CHARS = 500

export type Rejection = {
  station: string
  channel: Channel
  client: string
  /** Why: built from the contract's messages, which never quote the payload's values. */
  reason: string
  payload: Uint8Array
  /** The payload is a whole batch envelope `{ "events": [...] }` (not one event of it). */
  batch: boolean
}

// Rejected points are keyed by receive time. A counter in the sub-millisecond digits keeps two
// rejections in the same millisecond from overwriting each other.
let lastMs = 0
let counter = 0
function receiveTimestampNs (): string {
  const ms = Date.now()
  counter = ms === lastMs ? counter + 1 : 0
  lastMs = ms
  return `${ms}${String(counter % 1_000_000).padStart(6, '0')}`
}

/**
 * The `rejected` point: what arrived (its shape, with the values masked: ingest/mask-payload.ts),
 * from whom, and why it was not stored as data.
 */
export function rejectedLine (r: Rejection): string {
  const text = maskPayload(r.payload, { channel: r.channel, client: r.client, batch: r.batch })
  return formatLine('rejected',
    { station: r.station, channel: r.channel },
    {
      reason: r.reason.slice(0, MAX_REASON_CHARS),
      payload: text.length > MAX_STORED_PAYLOAD_CHARS ? `${text.slice(0, MAX_STORED_PAYLOAD_CHARS)}…` : text,
      bytes: { int: r.payload.byteLength },
      client: r.client
    },
    receiveTimestampNs())
}
