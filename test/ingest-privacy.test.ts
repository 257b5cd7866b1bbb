import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { connectDevice, worker } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

// The product's promise: names, phone numbers and ID-card numbers never reach the backend's
// data. The contract refuses them as data, and what is kept of a refused message (the
// `rejected` record, the log line) keeps its shape and reason but not the values
// (ingest/mask-payload.ts). Here a device sends them in every place a payload can hold them,
// alone and in batches, valid JSON or not; then every measurement of InfluxDB and every log line
// of the stack (at trace level) are searched for them.

const NAME = '张伟'
const PHONE = '13812345678'
const ID_CARD = '11010519491231002X'
const ID_DIGITS = '110105194912310020'
// As text, and as pino or InfluxDB could spell them (JSON \u escapes for the name).
const NEEDLES = [NAME, PHONE, ID_CARD, ID_DIGITS, '\\u5f20\\u4f1f', '\\u5F20\\u4F1F', '1.3812345678', '1.1010519491231']

const S = 'priv-1'
const D = `${S}-hub`
const logLines: string[] = []
let stack: TestStack
let secret: string

beforeAll(async () => {
  const sink = new Writable({ write (chunk, _enc, cb) { logLines.push(String(chunk)); cb() } })
  stack = await startTestStack({}, { logger: pino({ level: 'trace' }, sink) })
  secret = (await stack.addStation({ id: S, name: 'Privacy' }, [D]))[D]!
})
afterAll(async () => { await stack?.stop() })

const ts = Date.now() - 3_600_000
const door = (seq: number, extra: Record<string, unknown> = {}) =>
  ({ device: D, ts: ts + seq, seq, direction: 'in', method: 'face', result: 'granted', ...extra })

// [topic suffix, payload text]: each is refused (as a whole or per event) and acknowledged.
const refused: Array<[string, string]> = [
  ['door', JSON.stringify(door(1, { worker: NAME }))],
  ['door', JSON.stringify(door(2, { worker: PHONE }))],
  ['door', JSON.stringify(door(3, { worker: ID_CARD }))],
  ['door', JSON.stringify(door(4, { direction: NAME, method: ID_CARD, worker: Number(PHONE) }))],
  ['door', JSON.stringify(door(5, { device: PHONE }))], // a valid slug, but not this device
  ['door', JSON.stringify(door(6, { [NAME]: PHONE, [PHONE]: ID_CARD, note: { name: NAME, ids: [ID_CARD, Number(PHONE)] } }))],
  ['door', JSON.stringify(door(7, { seq: Number(PHONE), ts: Number(ID_DIGITS) }))],
  ['door', JSON.stringify([NAME, PHONE, ID_CARD])],
  ['door', JSON.stringify(`${NAME} ${PHONE} ${ID_CARD}`)],
  ['door', `{"worker":"${NAME} ${PHONE} ${ID_CARD}`], // cut short: invalid JSON
  ['door', `${NAME} ${PHONE} ${ID_CARD}`], // not JSON at all: V8's message would quote it
  ['door', `{"worker":"x"} ${PHONE}`], // trailing text: invalid JSON
  ['door', `{"worker":${PHONE}${ID_DIGITS}}`], // one huge number
  ['status', JSON.stringify({ device: D, ts, seq: 8, state: 'online', firmware: `${NAME} ${PHONE}`, uptime: Number(ID_DIGITS) })],
  ['environment', JSON.stringify({ device: D, ts, seq: 9, temperature: PHONE, co2: Number(PHONE) })],
  ['door/batch', JSON.stringify({ events: [door(10), door(11, { worker: NAME }), door(12, { worker: PHONE, extra: ID_CARD })] })],
  ['door/batch', JSON.stringify({ events: [door(13, { worker: ID_CARD })], owner: NAME })],
  ['door/batch', JSON.stringify({ events: PHONE })],
  ['door', JSON.stringify(door(14, { method: 'retina', worker: worker(1) }))]
]

describe('personal data in refused messages', () => {
  test('is stored nowhere in InfluxDB and logged nowhere, while the refusals keep shape and reason', async () => {
    const device = await connectDevice(stack.mqttUrl, D, secret)
    for (const [suffix, text] of refused) await device.publishAsync(`stations/${S}/${suffix}`, text, { qos: 1 })
    await device.endAsync()

    // Not vacuous: everything refused was recorded, and the one valid event was stored.
    const rejected = await stack.query<{ reason: string, payload: string }>('SELECT "reason", "payload" FROM "rejected" WHERE "station" = $s', { s: S })
    expect(rejected).toHaveLength(refused.length + 1) // the first batch: two rejected events, one stored
    const stored = await stack.query<{ seq: number }>('SELECT "seq" FROM "door" WHERE "station" = $s', { s: S })
    expect(stored.map((r) => r.seq)).toEqual([10])
    expect(logLines.filter((l) => l.includes('"event rejected"'))).toHaveLength(rejected.length)

    const measurements = (await stack.query<{ name: string }>('SHOW MEASUREMENTS')).map((m) => m.name)
    expect(measurements).toEqual(expect.arrayContaining(['door', 'rejected']))
    let rows = 0
    for (const m of measurements) {
      for (const rp of ['autogen', 'rollups']) {
        const all = await stack.query(`SELECT * FROM "${rp}"."${m}"`)
        rows += all.length
        const text = JSON.stringify(all)
        for (const needle of NEEDLES) expect(text.includes(needle), `${needle} in ${rp}.${m}`).toBe(false)
      }
    }
    expect(rows).toBeGreaterThanOrEqual(rejected.length + 1)
    const log = logLines.join('')
    for (const needle of NEEDLES) expect(log.includes(needle), `${needle} in the log`).toBe(false)
  })

  test('a refused record keeps keys, types, lengths and safe values, and says why without the values', async () => {
    const rows = (await stack.query<{ reason: string, payload: string, bytes: number }>('SELECT "reason", "payload", "bytes" FROM "rejected" WHERE "station" = $s', { s: S }))
      .map(({ reason, payload, bytes }) => ({ reason, payload, bytes }))
    const of = (prefix: string) => rows.filter((r) => r.payload.startsWith(prefix))
    const head = (seq: number) => `{"device":"${D}","ts":${ts + seq},"seq":${seq},`
    expect(of(head(1))).toEqual([{ reason: 'worker: worker must be a pseudonymous id: "w_" followed by 16-64 lower-case hex digits', payload: `${head(1)}"direction":"in","method":"face","result":"granted","worker":"<string:2>"}`, bytes: Buffer.byteLength(refused[0]![1]) }])
    expect(of(head(4))[0]!.payload).toBe(`${head(4)}"direction":"<string:2>","method":"<string:18>","result":"granted","worker":"<number:11>"}`)
    expect(of('{"device":"<string:11>"')[0]).toEqual({
      reason: `device "<string:11>" does not match the authenticated device "${D}"`,
      payload: `{"device":"<string:11>","ts":${ts + 5},"seq":5,"direction":"in","method":"face","result":"granted"}`,
      bytes: Buffer.byteLength(refused[4]![1])
    })
    expect(of(head(6))[0]).toEqual({
      reason: 'Unrecognized keys: <key:2>, <key:11>, <key:4>',
      payload: `${head(6)}"direction":"in","method":"face","result":"granted","<key:2>":"<string:11>","<key:11>":"<string:18>","<key:4>":{"<key:4>":"<string:2>","<key:3>":["<string:18>","<number:11>"]}}`,
      bytes: Buffer.byteLength(refused[5]![1])
    })
    expect(rows.find((r) => r.payload.includes('"ts":"<number:18>"'))!.payload).toBe(`{"device":"${D}","ts":"<number:18>","seq":"<number:11>","direction":"in","method":"face","result":"granted"}`)
    expect(rows.filter((r) => r.reason.startsWith('invalid JSON')).map((r) => [r.reason, r.payload])).toEqual([
      ['invalid JSON: Unterminated string in JSON at position 44 (line 1 column 45)', `<invalid JSON: ${Buffer.byteLength(refused[9]![1])} bytes>`],
      ['invalid JSON: Unexpected token', `<invalid JSON: ${Buffer.byteLength(refused[10]![1])} bytes>`],
      ['invalid JSON: Unexpected non-whitespace character after JSON at position 15 (line 1 column 16)', `<invalid JSON: ${Buffer.byteLength(refused[11]![1])} bytes>`]
    ])
    expect(rows.find((r) => r.payload.startsWith('{"worker":"<number:'))).toEqual({ reason: expect.stringMatching(/^device: Invalid input: expected string, received undefined; /), payload: '{"worker":"<number:22>"}', bytes: Buffer.byteLength(refused[12]![1]) })
    expect(of('{"device":"' + D + '","ts":' + ts + ',"seq":8,')[0]!.payload).toBe(`{"device":"${D}","ts":${ts},"seq":8,"state":"online","firmware":"<string:14>","uptime":"<number:18>"}`)
    expect(of('{"device":"' + D + '","ts":' + ts + ',"seq":9,')[0]!.payload).toBe(`{"device":"${D}","ts":${ts},"seq":9,"temperature":"<string:11>","co2":"<number:11>"}`)
    expect(rows.filter((r) => r.reason.startsWith('batch events')).map((r) => [r.reason, r.payload])).toEqual([
      [expect.stringMatching(/^batch events\[1\]: worker: /), `${head(11)}"direction":"in","method":"face","result":"granted","worker":"<string:2>"}`],
      [expect.stringMatching(/^batch events\[2\]: worker: .*; Unrecognized key: <key:5>$/), `${head(12)}"direction":"in","method":"face","result":"granted","worker":"<string:11>","<key:5>":"<string:18>"}`]
    ])
    expect(rows.filter((r) => r.reason.startsWith('batch:')).map((r) => [r.reason, r.payload])).toEqual([
      ['batch: batch: only the "events" key is allowed', `{"events":[${head(13)}"direction":"in","method":"face","result":"granted","worker":"<string:18>"}],"<key:5>":"<string:2>"}`],
      ['batch: batch must be an object {"events": [...]}', '{"events":"<string:11>"}']
    ])
    // A valid pseudonym is what the contract stores as data anyway: a refused event keeps it.
    expect(of(head(14))[0]!.payload).toBe(`${head(14)}"direction":"in","method":"<string:6>","result":"granted","worker":"${worker(1)}"}`)
  })
})
