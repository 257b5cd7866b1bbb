import { z } from 'zod'
import { channels, type AnyEvent, type Channel } from './topics.ts'

export const MAX_PAYLOAD_BYTES = 16 * 1024

export type ParseResult =
  | { ok: true, event: AnyEvent }
  | { ok: false, reason: string }

/**
 * Decode and validate one MQTT payload for a channel. Never throws: every failure comes back
 * as a short, human-readable reason that is stored with the rejected message.
 */
export function parseMessage (channel: Channel, payload: Uint8Array): ParseResult {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: `payload too large: ${payload.byteLength} bytes > ${MAX_PAYLOAD_BYTES}` }
  }
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'))
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` }
  }
  const result = channels[channel].safeParse(json)
  if (!result.success) {
    return { ok: false, reason: formatIssues(result.error) }
  }
  return { ok: true, event: { channel, payload: result.data } as AnyEvent }
}

function formatIssues (error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
}
