import type { Channel } from '../../contract/index.ts'

// Deterministic hostile traffic for fault tests: every kind of broken payload a buggy or
// malicious device could send on its own station's topics.

const base = (seq: number) => ({ device: 'hostile-1-dev', ts: Date.UTC(2026, 3, 1) + seq, seq })

export type Hostile = { channel: Channel, batch: boolean, payload: Buffer, kind: string }

export function hostilePayload (i: number): Hostile {
  const b = base(i)
  const kinds: Array<() => Omit<Hostile, 'payload'> & { payload: Buffer | string | object }> = [
    () => ({ kind: 'invalid-json', channel: 'door', batch: false, payload: `{"device":"hostile-1-dev","ts":${b.ts},` }),
    () => ({ kind: 'binary', channel: 'environment', batch: false, payload: Buffer.from(Array.from({ length: 64 }, (_, k) => (i * 31 + k * 17) % 256)) }),
    () => ({ kind: 'wrong-types', channel: 'occupancy', batch: false, payload: { ...b, seq: String(b.seq), count: '3' } }),
    () => ({ kind: 'nan', channel: 'environment', batch: false, payload: `{"device":"hostile-1-dev","ts":${b.ts},"seq":${i},"temperature":NaN}` }),
    () => ({ kind: 'infinity', channel: 'environment', batch: false, payload: `{"device":"hostile-1-dev","ts":${b.ts},"seq":${i},"co2":1e400}` }),
    () => ({ kind: 'huge-number', channel: 'occupancy', batch: false, payload: { ...b, count: 9007199254740993 } }),
    () => ({ kind: 'deep-nesting', channel: 'door', batch: false, payload: '['.repeat(5000) + ']'.repeat(5000) }),
    () => ({ kind: 'unicode-name', channel: 'door', batch: false, payload: { ...b, direction: 'in', method: 'face', result: 'granted', worker: '张伟 13800138000' } }),
    () => ({ kind: 'unicode-device', channel: 'status', batch: false, payload: { ...b, device: 'дeвice-😀', state: 'online' } }),
    () => ({ kind: 'proto', channel: 'door', batch: false, payload: `{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"device":"hostile-1-dev","ts":${b.ts},"seq":${i},"direction":"in","method":"face","result":"granted"}` }),
    () => ({ kind: 'other-device', channel: 'door', batch: false, payload: { ...b, device: 'someone-else', direction: 'in', method: 'face', result: 'granted' } }),
    () => ({ kind: 'bad-batch', channel: 'door', batch: true, payload: { events: 'all of them' } }),
    () => ({ kind: 'empty', channel: 'supply', batch: false, payload: '' }),
    () => ({ kind: 'null', channel: 'equipment', batch: false, payload: 'null' }),
    () => ({ kind: 'ts-seconds', channel: 'door', batch: false, payload: { ...b, ts: Math.floor(b.ts / 1000), direction: 'in', method: 'face', result: 'granted' } })
  ]
  // Every 500th is a 300 kB string: over the 16 KiB event limit (acknowledged, recorded as
  // too large) but under the broker's packet limit, which cuts bigger ones before buffering.
  const pick = i % 500 === 499
    ? { kind: 'oversized', channel: 'door' as Channel, batch: false, payload: JSON.stringify({ ...b, worker: 'x'.repeat(300 * 1024) }) }
    : kinds[i % kinds.length]!()
  const p = pick.payload
  return { ...pick, payload: Buffer.isBuffer(p) ? p : Buffer.from(typeof p === 'string' ? p : JSON.stringify(p)) }
}
