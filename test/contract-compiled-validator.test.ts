import { isDeepStrictEqual } from 'node:util'
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { Appliance, CHANNELS, channels, MAX_PAYLOAD_BYTES, MAX_SEQ, MAX_TS, MIN_TS, parseMessage, type Channel } from '../contract/index.ts'
import { createRng, type Rng } from '../simulators/random.ts'
import { hostilePayload } from './support/hostile-payloads.ts'
import { loadDoorEvent } from './support/load-device.ts'

// The ingest hot path validates with zod's own compiled schemas (`z.compile`, see
// contract/parse-message.ts). A compiled schema must be faster than the runtime parser, never
// different: same accepted set, same output (keys in the same order, defaults applied), same
// issues for what it rejects. The runtime parser is the oracle; the inputs are what devices send
// plus systematic breakage of it.

type Payload = Record<string, unknown>

// ---- valid payloads, shaped like the simulators' ------------------------------------------

const SLUG_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-'
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')
const HEX = '0123456789abcdef'

function chars (rng: Rng, alphabet: string, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += alphabet[rng.int(0, alphabet.length - 1)]
  return s
}

function slug (rng: Rng, max: number): string {
  const n = rng.chance(0.1) ? rng.pick([1, 2, max - 1, max]) : rng.int(1, max)
  if (n === 1) return chars(rng, HEX, 1)
  return chars(rng, HEX, 1) + chars(rng, SLUG_CHARS, n - 2) + chars(rng, HEX, 1)
}

const round1 = (x: number) => Math.round(x * 10) / 10
const maybe = <T>(rng: Rng, p: number, value: () => T): T | undefined => (rng.chance(p) ? value() : undefined)
const defined = (p: Payload): Payload => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined))

function envelope (rng: Rng): Payload {
  return { device: slug(rng, 64), ts: rng.chance(0.05) ? rng.pick([MIN_TS, MAX_TS]) : rng.int(MIN_TS, MAX_TS), seq: rng.chance(0.05) ? rng.pick([0, MAX_SEQ]) : rng.int(0, MAX_SEQ) }
}

const VALID: Record<Channel, (rng: Rng) => Payload> = {
  door: (rng) => {
    if (rng.chance(0.3)) return loadDoorEvent(slug(rng, 64), rng.int(MIN_TS, MAX_TS - 1e9), rng.int(0, 100_000))
    const worker = maybe(rng, 0.8, () => `w_${chars(rng, HEX, rng.int(16, 64))}`)
    return defined({ ...envelope(rng), direction: rng.pick(['in', 'out']), method: rng.pick(['face', 'card', 'qr', 'manual']), result: rng.pick(['granted', 'denied']), worker })
  },
  door_state: (rng) => ({ ...envelope(rng), state: rng.pick(['held_open', 'closed']) }),
  occupancy: (rng) => defined({ ...envelope(rng), count: rng.int(0, 500), entered: maybe(rng, 0.6, () => rng.int(0, 10_000)), exited: maybe(rng, 0.6, () => rng.int(0, 10_000)) }),
  environment: (rng) => {
    const all = { temperature: round1(rng.uniform(-40, 85)), humidity: round1(rng.uniform(0, 100)), co2: Math.round(rng.uniform(0, 40_000)), pm25: rng.uniform(0, 2_000) }
    const keep = Object.entries(all).filter(() => rng.chance(0.7))
    return { ...envelope(rng), ...Object.fromEntries(keep.length > 0 ? keep : [rng.pick(Object.entries(all))]) }
  },
  status: (rng) => defined({ ...envelope(rng), state: rng.pick(['online', 'offline']), firmware: maybe(rng, 0.7, () => chars(rng, PRINTABLE, rng.int(1, 64))), uptime: maybe(rng, 0.7, () => rng.int(0, 10 ** rng.int(0, 15))) }),
  equipment: (rng) => {
    const state = rng.pick(['on', 'off', 'fault'])
    return defined({
      ...envelope(rng), appliance: rng.pick(Appliance.options), unit: maybe(rng, 0.6, () => rng.int(1, 16)), state,
      powerW: maybe(rng, 0.7, () => Math.round(rng.uniform(0, 10_000))), setpoint: maybe(rng, 0.3, () => rng.int(10, 35)),
      fault: state === 'fault' ? maybe(rng, 0.8, () => chars(rng, PRINTABLE, rng.int(1, 64))) : undefined
    })
  },
  supply: (rng) => defined({ ...envelope(rng), item: slug(rng, 32), quantity: rng.int(0, 100_000), capacity: maybe(rng, 0.7, () => rng.int(1, 100_000)) })
}

// ---- systematic breakage -----------------------------------------------------------------

const ANY_FIELD: unknown[] = [
  null, undefined, true, false, 0, -0, 1, -1, 0.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, -Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, '', ' ', 'abc', 'abc\n', '\nabc', 'NaN', 'Infinity', '1', '0x10',
  '1e3', [], [1], ['in'], {}, { a: 1 }, '😀', '\ud800', 'é', 'İ', '\u0000', 'a'.repeat(1000), 'w_0123456789abcdef'
]

type Prop = { type?: string, minimum?: number, maximum?: number, minLength?: number, maxLength?: number, enum?: string[] }

/** Values aimed at one field's limits, read from the schema's public JSON Schema. */
function aimedValues (prop: Prop, current: unknown): unknown[] {
  const out: unknown[] = []
  for (const b of [prop.minimum, prop.maximum]) {
    if (b !== undefined) out.push(b - 1, b, b + 1, b - 0.5, b + 0.5, b - 1e-9, b + 1e-9, -b, b * 1000, Math.round(b / 1000), String(b))
  }
  if (prop.minimum !== undefined && prop.maximum !== undefined) out.push((prop.minimum + prop.maximum) / 2)
  for (const v of prop.enum ?? []) out.push(v, `${v}\n`, v.toUpperCase(), ` ${v}`, `${v} `)
  if (typeof current === 'string') out.push(`${current}\n`, ` ${current}`, `${current} `, current.toUpperCase(), `${current}-`, `-${current}`, `${current}_x`, `${current}😀`)
  if (typeof current === 'number') out.push(current + 0.1, String(current), -current)
  const max = prop.maxLength ?? 64
  for (const n of [max - 1, max, max + 1, 1, 2, 65]) {
    out.push('x'.repeat(n), 'a'.repeat(n), '😀'.repeat(Math.ceil(n / 2)), `${'😀'.repeat(Math.floor(n / 2))}x`, 'é'.repeat(n), 'a-'.repeat(n).slice(0, n))
  }
  out.push('a-', '-a', 'a--b', 'A', 'a_b', 'a.b', 'a/b', 'a+b', 'a#', 'a b', 'w_0123456789abcde', 'w_0123456789ABCDEF', `w_${'f'.repeat(64)}`, `w_${'f'.repeat(65)}`, '\x7f', '\x1f', '~')
  return out
}

/** Adds a key through JSON text, so `__proto__` becomes an own key as JSON.parse makes it. */
function withKey (p: Payload, key: string, value: unknown): Payload {
  const body = JSON.stringify(p).slice(1, -1)
  return JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value)}${body ? ',' : ''}${body}}`)
}

const EXTRA_KEYS = ['extra', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'DEVICE', 'device ', '']

function * mutations (p: Payload, props: Record<string, Prop>, rng: Rng): Generator<unknown> {
  for (const key of Object.keys(props)) {
    const { [key]: _, ...without } = p
    yield without
    for (const value of [...ANY_FIELD, ...aimedValues(props[key]!, p[key])]) yield { ...p, [key]: value }
  }
  for (const key of EXTRA_KEYS) yield withKey(p, key, rng.pick([1, 'x', null, { polluted: true }]))
  yield JSON.parse(JSON.stringify(p).replace('{', '{"__proto__":{"admin":true},'))
  yield Object.assign(Object.create(null), p) // zod accepts a prototype-less object
  yield Object.assign(Object.create({ extra: 1 }), p) // an inherited enumerable key is unknown to zod
  for (const key of Object.keys(p)) {
    const { [key]: value, ...rest } = p
    yield Object.assign(Object.create({ [key]: value }), rest) // zod reads inherited fields
  }
  yield [p]
  yield JSON.stringify(p)
}

function randomMutation (p: Payload, props: Record<string, Prop>, rng: Rng): unknown {
  const out: Payload = { ...p }
  for (let n = rng.int(1, 3); n > 0; n--) {
    const key = rng.pick(Object.keys(props))
    if (rng.chance(0.2)) delete out[key]
    else out[key] = rng.pick(rng.chance(0.5) ? ANY_FIELD : aimedValues(props[key]!, p[key]))
  }
  return rng.chance(0.1) ? withKey(out, rng.pick(EXTRA_KEYS), 1) : out
}

// ---- the differential check --------------------------------------------------------------

type Compiled = { safeParse: (input: unknown) => z.ZodSafeParseResult<unknown> }
// strict: throws if zod cannot compile a schema, where production would silently fall back.
const compiled = Object.fromEntries(CHANNELS.map((c) => [c, z.compile(channels[c] as z.ZodType, { strict: true })])) as unknown as Record<Channel, Compiled>

type Tally = { inputs: number, valid: number, wrong: Array<{ input: unknown, fast: unknown, zod: unknown }> }

const shape = (r: z.ZodSafeParseResult<unknown>) => r.success ? { data: r.data, keys: Object.keys(r.data as object) } : { issues: r.error.issues }

/** Runs one input through both; records any disagreement. */
function judge (schema: z.ZodType, fastSchema: Compiled, input: unknown, tally: Tally): void {
  const fast = fastSchema.safeParse(input)
  const slow = schema.safeParse(input)
  tally.inputs++
  if (slow.success) tally.valid++
  if (fast.success !== slow.success || !isDeepStrictEqual(shape(fast), shape(slow)) || (fast.success && fast.data === input)) {
    tally.wrong.push({ input, fast: shape(fast), zod: shape(slow) })
  }
}

const newTally = (): Tally => ({ inputs: 0, valid: 0, wrong: [] })

describe('compiled contract schemas', () => {
  test('every channel schema compiles (a schema change that leaves the fast path is noticed here)', () => {
    for (const channel of CHANNELS) {
      expect(() => z.compile(channels[channel] as z.ZodType, { strict: true }), channel).not.toThrow()
    }
  })

  test.each(CHANNELS)('%s: accepts every typical payload, with the output zod gives', (channel) => {
    const rng = createRng(`compiled-valid-${channel}`)
    const tally = newTally()
    for (let i = 0; i < 3000; i++) judge(channels[channel], compiled[channel], VALID[channel](rng), tally)
    expect(tally.wrong).toEqual([])
    expect(tally.valid).toBe(3000) // the generator makes valid payloads
  })

  test.each(CHANNELS)('%s: same answer as the runtime parser for broken payloads (mutations)', (channel) => {
    const rng = createRng(`compiled-mutations-${channel}`)
    const schema = channels[channel]
    const props = (z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, Prop> }).properties
    const tally = newTally()
    for (let i = 0; i < 12; i++) {
      for (const input of mutations(VALID[channel](rng), props, rng)) judge(schema, compiled[channel], input, tally)
    }
    for (let i = 0; i < 4500; i++) judge(schema, compiled[channel], randomMutation(VALID[channel](rng), props, rng), tally)
    for (const input of [null, undefined, 0, 'x', [], {}, new Date(0), new Map(), Object.create(null), JSON.parse('{"__proto__":{}}')]) judge(schema, compiled[channel], input, tally)
    expect(tally.wrong.slice(0, 5)).toEqual([])
    // Enough of both kinds to mean something.
    expect(tally.inputs).toBeGreaterThan(10_000)
    expect(tally.valid).toBeGreaterThan(500)
    expect(tally.inputs - tally.valid).toBeGreaterThan(5000)
  })

  test('parseMessage gives zod\'s answer for hostile device traffic and for valid payloads', () => {
    const rng = createRng('compiled-parse-message')
    const inputs: Array<[Channel, Buffer]> = []
    for (let i = 0; i < 1500; i++) {
      const h = hostilePayload(i)
      if (!h.batch) inputs.push([h.channel, h.payload])
    }
    for (const channel of CHANNELS) {
      for (let i = 0; i < 200; i++) inputs.push([channel, Buffer.from(JSON.stringify(VALID[channel](rng)))])
    }
    for (const [channel, payload] of inputs) {
      const r = parseMessage(channel, payload)
      let json: unknown
      try { json = JSON.parse(payload.toString('utf8')) } catch { expect(r.ok).toBe(false); continue }
      if (payload.byteLength > MAX_PAYLOAD_BYTES) continue // refused before validation
      const slow = channels[channel].safeParse(json)
      expect(r.ok, payload.toString().slice(0, 100)).toBe(slow.success)
      if (r.ok && slow.success) expect(r.event).toStrictEqual({ channel, payload: slow.data })
    }
  })
})
