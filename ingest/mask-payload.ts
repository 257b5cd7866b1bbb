import { channels, MAX_BATCH_PAYLOAD_BYTES, MAX_SEQ, maskedKey, WorkerId, type Channel } from '../contract/index.ts'

// What a `rejected` record keeps of the payload: its shape, never the values a device should not
// have sent. The contract refuses names, phone numbers and ID-card numbers as data; a refused
// message must not bring them in through the back door (docs/security.md). Runs only for
// refused messages, never on the path of an accepted one.
//
// Kept as sent: keys of the contract; an enum value the field accepts (`"direction":"in"`);
// `device` when it is the authenticated device; a `worker` pseudonym the contract would store
// as data; booleans and null; a number the field accepts, if it is a valid `ts` or at most
// 2³²−1 (the contract's other numbers are bounded far below; an 11-digit phone number or an
// 18-digit ID-card number exceeds that, and an unbounded field such as `uptime` must not carry
// one). Everything else becomes its type and length: `"<string:11>"`, `"<number:18>"`, and keys
// outside the contract `"<key:11>"`.

type Shape = Record<string, { safeParse: (v: unknown) => { success: boolean }, _zod: { def: { type: string, innerType?: { _zod: { def: { type: string } } } } } }>
type Context = { shape: Shape | undefined, client: string }

const MAX_DEPTH = 8
const masked = (type: string, text: string): string => `"<${type}:${text.length}>"`

export type MaskOptions = {
  channel: Channel
  /** The authenticated device: its id is no secret in its own payload. */
  client: string
  /** The payload is a batch envelope `{ "events": [...] }`. */
  batch: boolean
}

/** The payload as JSON text with every value that could be personal replaced by its type and length. */
export function maskPayload (payload: Uint8Array, opts: MaskOptions): string {
  if (payload.byteLength > MAX_BATCH_PAYLOAD_BYTES) return `<${payload.byteLength} bytes, not read>`
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'))
  } catch {
    return `<invalid JSON: ${payload.byteLength} bytes>`
  }
  const ctx: Context = { shape: (channels[opts.channel] as unknown as { shape: Shape }).shape, client: opts.client }
  if (opts.batch && isObject(value)) {
    return object(value, 0, (key, v, depth) =>
      key === 'events' && Array.isArray(v) ? `[${v.map((e) => event(e, ctx, depth + 1)).join(',')}]` : any(v, depth + 1))
  }
  return event(value, ctx, 0)
}

function event (value: unknown, ctx: Context, depth: number): string {
  if (!isObject(value)) return any(value, depth)
  return object(value, depth, (key, v, d) => field(ctx, key, v, d))
}

function field (ctx: Context, key: string, v: unknown, depth: number): string {
  const schema = ctx.shape !== undefined && Object.hasOwn(ctx.shape, key) ? ctx.shape[key] : undefined
  if (schema === undefined) return any(v, depth + 1)
  if (typeof v === 'string') {
    const def = schema._zod.def
    const isEnum = def.type === 'enum' || def.innerType?._zod.def.type === 'enum'
    const safe = (isEnum && schema.safeParse(v).success) ||
      (key === 'device' && v === ctx.client) ||
      (key === 'worker' && WorkerId.safeParse(v).success)
    return safe ? JSON.stringify(v) : masked('string', v)
  }
  if (typeof v === 'number') {
    const safe = schema.safeParse(v).success && (key === 'ts' || Math.abs(v) <= MAX_SEQ)
    return safe ? JSON.stringify(v) : masked('number', JSON.stringify(v))
  }
  return any(v, depth + 1)
}

/** A value with no field to judge it by: only its shape. */
function any (v: unknown, depth: number): string {
  if (typeof v === 'string') return masked('string', v)
  if (typeof v === 'number') return masked('number', JSON.stringify(v))
  if (v === null || typeof v === 'boolean') return JSON.stringify(v)
  if (depth >= MAX_DEPTH) return '"<nested>"'
  if (Array.isArray(v)) return `[${v.map((e) => any(e, depth + 1)).join(',')}]`
  return object(v as Record<string, unknown>, depth, (_key, e, d) => any(e, d + 1))
}

// Built as text: two masked keys may read the same (`<key:4>`), which an object could not hold.
function object (o: Record<string, unknown>, depth: number, value: (key: string, v: unknown, depth: number) => string): string {
  if (depth >= MAX_DEPTH) return '"<nested>"'
  return `{${Object.keys(o).map((k) => `${JSON.stringify(maskedKey(k))}:${value(k, o[k], depth)}`).join(',')}}`
}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
