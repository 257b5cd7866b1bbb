import { describe, expect, test } from 'vitest'
import { Appliance, CHANNELS, channels, MAX_SEQ, MAX_TS, MIN_TS, type AnyEvent, type Channel, type PayloadOf } from '../contract/index.ts'
import { eventTimestampNs, formatLine, seqHigh } from '../ingest/line-protocol.ts'
import { eventToLine } from '../ingest/to-line.ts'
import { createRng, type Rng } from '../simulators/random.ts'

// The hot-path mappers are template literals that skip escaping where the contract makes it
// unnecessary. Here the same schema is written with the general, escaping formatLine, and every
// channel's mapper must produce exactly its line, for valid payloads at and between the
// contract's limits (and free text full of what line protocol must escape).
const int = (n: number | undefined) => (n === undefined ? undefined : { int: n })
const reference: { [C in Channel]: (station: string, p: PayloadOf<C>) => string } = {
  door: (station, p) => formatLine('door', { device: p.device, direction: p.direction, method: p.method, result: p.result, seqhi: seqHigh(p.seq), station }, { seq: int(p.seq), worker: p.worker }, eventTimestampNs(p.ts, p.seq)),
  door_state: (station, p) => formatLine('door_state', { device: p.device, seqhi: seqHigh(p.seq), station }, { state: p.state, seq: int(p.seq) }, eventTimestampNs(p.ts, p.seq)),
  occupancy: (station, p) => formatLine('occupancy', { device: p.device, seqhi: seqHigh(p.seq), station }, { count: int(p.count), entered: int(p.entered), exited: int(p.exited), seq: int(p.seq) }, eventTimestampNs(p.ts, p.seq)),
  environment: (station, p) => formatLine('environment', { device: p.device, seqhi: seqHigh(p.seq), station }, { temperature: p.temperature, humidity: p.humidity, co2: p.co2, pm25: p.pm25, seq: int(p.seq) }, eventTimestampNs(p.ts, p.seq)),
  status: (station, p) => formatLine('status', { device: p.device, seqhi: seqHigh(p.seq), station }, { state: p.state, firmware: p.firmware, uptime: int(p.uptime), seq: int(p.seq) }, eventTimestampNs(p.ts, p.seq)),
  equipment: (station, p) => formatLine('equipment', { appliance: p.appliance, device: p.device, seqhi: seqHigh(p.seq), station, unit: String(p.unit) }, { state: p.state, powerW: p.powerW, setpoint: p.setpoint, fault: p.fault, seq: int(p.seq) }, eventTimestampNs(p.ts, p.seq)),
  supply: (station, p) => formatLine('supply', { device: p.device, item: p.item, seqhi: seqHigh(p.seq), station }, { quantity: int(p.quantity), capacity: int(p.capacity), seq: int(p.seq) }, eventTimestampNs(p.ts, p.seq))
}

const SLUG = 'abcdefghijklmnopqrstuvwxyz0123456789-'
const TEXT = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~'
const str = (rng: Rng, alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[rng.int(0, alphabet.length - 1)]).join('')
const slug = (rng: Rng, n: number) => n === 1 ? 'a' : `a${str(rng, SLUG, n - 2)}9`
const num = (rng: Rng, min: number, max: number) => rng.pick([min, max, 0, -0, rng.uniform(min, max), Math.round(rng.uniform(min, max) * 10) / 10, 1e-7, min / 3].filter((v) => v >= min && v <= max))
const maybe = <T>(rng: Rng, v: () => T): T | undefined => (rng.chance(0.6) ? v() : undefined)

function payload (channel: Channel, rng: Rng): unknown {
  const env = { device: slug(rng, rng.pick([1, 2, 12, 64])), ts: rng.pick([MIN_TS, MAX_TS, rng.int(MIN_TS, MAX_TS)]), seq: rng.pick([0, 5, 99_999, 100_000, 999_999, 1_000_000, 1_234_567, MAX_SEQ, rng.int(0, MAX_SEQ)]) }
  switch (channel) {
    case 'door': return { ...env, direction: rng.pick(['in', 'out']), method: rng.pick(['face', 'card', 'qr', 'manual']), result: rng.pick(['granted', 'denied']), worker: maybe(rng, () => `w_${str(rng, '0123456789abcdef', rng.int(16, 64))}`) }
    case 'door_state': return { ...env, state: rng.pick(['held_open', 'closed']) }
    case 'occupancy': return { ...env, count: rng.int(0, 500), entered: maybe(rng, () => rng.int(0, 10_000)), exited: maybe(rng, () => rng.int(0, 10_000)) }
    case 'environment': return { ...env, temperature: num(rng, -40, 85), humidity: maybe(rng, () => num(rng, 0, 100)), co2: maybe(rng, () => num(rng, 0, 40_000)), pm25: maybe(rng, () => num(rng, 0, 2_000)) }
    case 'status': return { ...env, state: rng.pick(['online', 'offline']), firmware: maybe(rng, () => str(rng, TEXT, rng.int(1, 64))), uptime: maybe(rng, () => rng.pick([0, Number.MAX_SAFE_INTEGER, rng.int(0, 1e9)])) }
    case 'equipment': return { ...env, appliance: rng.pick(Appliance.options), unit: maybe(rng, () => rng.int(1, 16)), state: rng.pick(['on', 'off', 'fault']), powerW: maybe(rng, () => num(rng, 0, 10_000)), setpoint: maybe(rng, () => num(rng, 10, 35)), fault: maybe(rng, () => str(rng, TEXT, rng.int(1, 64))) }
    case 'supply': return { ...env, item: slug(rng, rng.pick([1, 2, 32])), quantity: rng.int(0, 100_000), capacity: maybe(rng, () => rng.int(1, 100_000)) }
  }
}

describe('eventToLine', () => {
  test.each(CHANNELS)('%s: the same line as the escaping formatLine, for 5,000 valid payloads', (channel) => {
    const rng = createRng(`to-line-${channel}`)
    for (let i = 0; i < 5000; i++) {
      const parsed = channels[channel].safeParse(JSON.parse(JSON.stringify(payload(channel, rng))))
      expect(parsed.success).toBe(true) // the generator stays inside the contract
      const event = { channel, payload: parsed.data } as AnyEvent
      const station = slug(rng, rng.pick([1, 20, 64]))
      expect(eventToLine(station, event)).toBe((reference[channel] as (s: string, p: unknown) => string)(station, event.payload))
    }
  })

  test('free text is escaped: a firmware string with quotes and backslashes', () => {
    const p = channels.status.parse({ device: 'd1', ts: MIN_TS, seq: 7, state: 'online', firmware: 'v1 "beta" \\ x' })
    expect(eventToLine('s1', { channel: 'status', payload: p })).toBe('status,device=d1,station=s1 state="online",firmware="v1 \\"beta\\" \\\\ x",seq=7i 1577836800000000007')
  })
})
