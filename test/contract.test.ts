import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { batchTopicFor, CHANNELS, channels, MAX_BATCH_EVENTS, parseBatch, parseMessage, parseOwnTopic, parseTopic, topicFor, type Channel } from '../contract/index.ts'

const bytes = (s: string) => Buffer.from(s)
const base = { device: 'sz-1-door', ts: 1_772_424_000_000, seq: 1 }

describe('contract', () => {
  test('every example payload in contract/README.md is valid for its channel', () => {
    const readme = readFileSync(new URL('../contract/README.md', import.meta.url), 'utf8')
    const examples = [...readme.matchAll(/^## `(\w+)`[\s\S]*?```json\n(.*)\n```/gm)]
    expect(examples.map((m) => m[1]).sort()).toEqual([...CHANNELS].sort())
    for (const [, channel, json] of examples) {
      const r = parseMessage(channel as Channel, bytes(json!))
      expect(r, `${channel}: ${json}`).toMatchObject({ ok: true })
    }
  })

  test('topics round-trip and anything else is refused', () => {
    expect(parseTopic(topicFor('sz-futian-001', 'door'))).toEqual({ stationId: 'sz-futian-001', channel: 'door', batch: false })
    expect(parseTopic(batchTopicFor('sz-futian-001', 'supply'))).toEqual({ stationId: 'sz-futian-001', channel: 'supply', batch: true })
    for (const t of ['stations/sz-1', 'stations/sz-1/door/x', 'stations/sz-1/door/batch/x', 'stations/SZ-1/door', 'stations/sz-1/doors', 'x/sz-1/door', '$SYS/x/y', 'stations/-a/door', 'stations/sz-1/__proto__']) {
      expect(parseTopic(t), t).toBeNull()
    }
  })

  test("the broker's own-station fast path agrees with parseTopic", () => {
    const topics = [topicFor('sz-1', 'door'), batchTopicFor('sz-1', 'supply'), 'stations/sz-1', 'stations/sz-1/', 'stations/sz-1/door/x',
      'stations/sz-1/door/batch/x', 'stations/sz-1/doors', 'stations/sz-10/door', 'stations/sz-/door', 'stations/sz-1door', 'stationsX/sz-1/door',
      'x/sz-1/door', '$SYS/x/y', 'stations/sz-1/__proto__', 'stations/sz-1/constructor', 'stations/sz-1//door', 'stations/sz-2/door']
    for (const t of topics) {
      const full = parseTopic(t)
      const own = parseOwnTopic(t, 'sz-1')
      expect(own, t).toEqual(full && full.stationId === 'sz-1' ? { channel: full.channel, batch: full.batch } : null)
    }
  })

  test('worker must be a pseudonym: names, phone numbers and id numbers are rejected', () => {
    for (const worker of ['张伟', '13800138000', 'w_13800138000', '440301199001011234', 'w_ABCDEF0123456789', 'john.doe@example.com']) {
      const r = parseMessage('door', bytes(JSON.stringify({ ...base, direction: 'in', method: 'face', result: 'granted', worker })))
      expect(r.ok, worker).toBe(false)
      if (!r.ok) expect(r.reason).toMatch(/worker/)
    }
  })

  test('hostile payloads get a clear reason and never throw', () => {
    const cases: Array<[Channel, string, RegExp]> = [
      ['door', '{', /invalid JSON/],
      ['door', '[]', /expected object/],
      ['door', JSON.stringify({ ...base, direction: 'in', method: 'face', result: 'granted', extra: 1 }), /^Unrecognized key: <key:5>$/],
      // A key of the contract (another channel's) is named; any other only by its length.
      ['door', JSON.stringify({ ...base, direction: 'in', method: 'face', result: 'granted', count: 1, 张伟: 1 }), /^Unrecognized keys: "count", <key:2>$/],
      ['door', '{"__proto__":{"admin":true},"device":"d","ts":1772424000000,"seq":1,"direction":"in","method":"face","result":"granted"}', /^Unrecognized key: <key:9>$/],
      ['occupancy', JSON.stringify({ ...base, count: 1e308 }), /count/],
      ['occupancy', JSON.stringify({ ...base, count: 2.5 }), /count/],
      ['environment', JSON.stringify({ ...base }), /at least one/],
      ['environment', JSON.stringify({ ...base, temperature: 'NaN' }), /temperature/],
      ['environment', JSON.stringify({ ...base, ts: 1_772_424_000 }), /ts: .*2020/], // seconds, not ms
      ['status', JSON.stringify({ ...base, state: 'online', firmware: 'x'.repeat(65) }), /firmware/],
      ['status', 'x'.repeat(20_000), /too large/]
    ]
    for (const [channel, payload, reason] of cases) {
      const r = parseMessage(channel, bytes(payload))
      expect(r.ok, payload.slice(0, 80)).toBe(false)
      if (!r.ok) expect(r.reason, payload.slice(0, 80)).toMatch(reason)
    }
    expect(Object.keys(channels)).toEqual(CHANNELS)
  })
})

describe('batch upload', () => {
  const door = (seq: number) => ({ ...base, seq, direction: 'in', method: 'face', result: 'granted' })

  test('the README batch example is valid', () => {
    const readme = readFileSync(new URL('../contract/README.md', import.meta.url), 'utf8')
    const json = /## Batch upload[\s\S]*?```json\n(.*)\n```/.exec(readme)![1]!
    const r = parseBatch('door', bytes(json))
    expect(r.ok && r.items.every((i) => i.ok)).toBe(true)
  })

  test('events are judged one by one; the envelope as a whole', () => {
    const r = parseBatch('door', bytes(JSON.stringify({ events: [door(1), { ...door(2), direction: 'up' }, door(3)] })))
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.items.map((i) => i.ok)).toEqual([true, false, true])
    const bad: Array<[string, RegExp]> = [
      ['[]', /must be an object/],
      ['{"events":[]}', /empty/],
      ['{"events":[], "x": 1}', /only the "events" key/],
      [JSON.stringify({ events: Array.from({ length: MAX_BATCH_EVENTS + 1 }, (_, i) => door(i)) }), /events > 500/],
      ['{"events":', /invalid JSON/]
    ]
    for (const [payload, reason] of bad) {
      const b = parseBatch('door', bytes(payload))
      expect(b.ok, payload.slice(0, 40)).toBe(false)
      if (!b.ok) expect(b.reason).toMatch(reason)
    }
  })
})
