import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { DoorEvent } from '../contract/index.ts'
import { closed, connectDevice, publishEvent, worker } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

// End to end through real processes' parts: MQTT client → Aedes (auth, ACL) → ingest →
// influxd → Fastify over HTTP.

let stack: TestStack
let secrets: Record<string, string>
let otherSecrets: Record<string, string>

beforeAll(async () => {
  stack = await startTestStack()
  secrets = await stack.addStation({ id: 'sz-futian-001', name: '福田区爱心驿站 1', timezone: 'Asia/Shanghai', capacity: 12 })
  otherSecrets = await stack.addStation({ id: 'sz-nanshan-002', name: '南山区爱心驿站 2', timezone: 'Asia/Shanghai' })
})
afterAll(async () => { await stack?.stop() })

const S = 'sz-futian-001'
const D = 'sz-futian-001-door'
// Local (UTC+8) wall time → epoch ms.
const cst = (iso: string) => Date.parse(`${iso}+08:00`)

async function visits (stationId: string, from: string, to: string) {
  const res = await fetch(`${stack.apiUrl}/stations/${stationId}/visits?from=${from}&to=${to}`, { headers: stack.auth() })
  return { status: res.status, body: await res.json() as any }
}

describe('walking skeleton', () => {
  test('door events across local midnight give exact visits, unique workers and denied per local day', async () => {
    const device = await connectDevice(stack.mqttUrl, D, secrets[D]!)
    let seq = 1000
    const door = (iso: string, direction: 'in' | 'out', result: 'granted' | 'denied', w?: number): DoorEvent => ({
      device: D, ts: cst(iso), seq: seq++, direction, method: 'face', result, ...(w === undefined ? {} : { worker: worker(w) })
    })
    const events: DoorEvent[] = [
      // 2026-03-01 (local): 3 granted entries by 2 workers, 1 denied, exits are not visits
      door('2026-03-01T08:00:00', 'in', 'granted', 1),
      door('2026-03-01T08:20:00', 'out', 'granted', 1),
      door('2026-03-01T12:00:00', 'in', 'granted', 2),
      door('2026-03-01T12:05:00', 'in', 'denied'),
      door('2026-03-01T23:59:59.999', 'in', 'granted', 1), // last millisecond of the local day
      // 2026-03-02 (local) — 00:00 local is 16:00 UTC on 03-01: a UTC-day grouping would get this wrong
      door('2026-03-02T00:00:00', 'out', 'granted', 1),
      door('2026-03-02T00:00:01', 'in', 'granted', 3),
      door('2026-03-02T07:30:00', 'in', 'denied', 4),
      door('2026-03-02T07:31:00', 'in', 'denied', 4),
      // 2026-03-03: nothing; 2026-03-04: one visit
      door('2026-03-04T15:00:00', 'in', 'granted', 2)
    ]
    for (const e of events) await publishEvent(device, S, 'door', e)
    await device.endAsync()

    const { status, body } = await visits(S, '2026-03-01', '2026-03-04')
    expect(status).toBe(200)
    expect(body.timezone).toBe('Asia/Shanghai')
    expect(body.days).toEqual([
      { date: '2026-03-01', visits: 3, uniqueWorkers: 2, denied: 1 },
      { date: '2026-03-02', visits: 1, uniqueWorkers: 1, denied: 2 },
      { date: '2026-03-03', visits: 0, uniqueWorkers: 0, denied: 0 },
      { date: '2026-03-04', visits: 1, uniqueWorkers: 1, denied: 0 }
    ])
    expect(body.totals).toEqual({ visits: 5, uniqueWorkers: 3, denied: 3 })
  })

  test('every PUBACKed publish is queryable at once; a duplicate does not change the counts', async () => {
    const device = await connectDevice(stack.mqttUrl, D, secrets[D]!)
    const base = cst('2026-04-10T10:00:00')
    const n = 200
    for (let i = 0; i < n; i++) {
      // Not awaited one by one: many publishes in flight, each PUBACK must still mean stored.
      void publishEvent(device, S, 'door', { device: D, ts: base + i * 1000, seq: 5000 + i, direction: 'in', method: 'card', result: 'granted', worker: worker(100 + (i % 7)) })
    }
    const last = publishEvent(device, S, 'door', { device: D, ts: base + n * 1000, seq: 5000 + n, direction: 'in', method: 'card', result: 'granted', worker: worker(100) })
    await last
    // PUBACKs arrive in order for one client, so the last one means all are stored.
    const countOf = async () => (await stack.query<{ count: number }>(
      'SELECT count("seq") FROM "door" WHERE "station" = $station AND time >= $from AND time < $to',
      { station: S, from: new Date(base).toISOString(), to: new Date(base + 86_400_000).toISOString() }
    ))[0]?.count ?? 0
    expect(await countOf()).toBe(n + 1)

    // Same (device, ts, seq) again — a device retransmitting after a lost PUBACK.
    await publishEvent(device, S, 'door', { device: D, ts: base, seq: 5000, direction: 'in', method: 'card', result: 'granted', worker: worker(100) })
    await publishEvent(device, S, 'door', { device: D, ts: base + 5000, seq: 5005, direction: 'in', method: 'card', result: 'granted', worker: worker(105) })
    expect(await countOf()).toBe(n + 1)
    const day = await visits(S, '2026-04-10', '2026-04-10')
    expect(day.body.days).toEqual([{ date: '2026-04-10', visits: n + 1, uniqueWorkers: 7, denied: 0 }])
    await device.endAsync()
  })
})

describe('message identity (device, ts, seq)', () => {
  test('two messages with one ts whose seq agree modulo 10^6 are both stored; each retransmission still overwrites itself', async () => {
    const device = await connectDevice(stack.mqttUrl, D, secrets[D]!)
    const ts = cst('2026-04-20T09:00:00')
    const at = (seq: number): DoorEvent => ({ device: D, ts, seq, direction: 'in', method: 'face', result: 'granted', worker: worker(seq % 97) })
    // The same sub-millisecond digits (seq mod 10^6 = 7), the same tags: one point before the fix.
    for (const seq of [7, 1_000_007, 4_294_000_007, 7, 1_000_007]) await publishEvent(device, S, 'door', at(seq))
    const rows = await stack.query<{ seq: number, worker: string }>('SELECT "seq", "worker" FROM "door" WHERE "station" = $station AND time >= $from AND time < $to', {
      station: S, from: new Date(ts).toISOString(), to: new Date(ts + 1).toISOString()
    })
    expect(rows.map((r) => [r.seq, r.worker]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([[7, worker(7)], [1_000_007, worker(1_000_007 % 97)], [4_294_000_007, worker(4_294_000_007 % 97)]])
    const { body } = await visits(S, '2026-04-20', '2026-04-20')
    expect(body.days).toEqual([{ date: '2026-04-20', visits: 3, uniqueWorkers: 3, denied: 0 }])
    await device.endAsync()
  })
})

describe('batch upload', () => {
  test('a batch is acknowledged once all its events are stored; a bad event is rejected alone; resending changes nothing', async () => {
    const device = await connectDevice(stack.mqttUrl, D, secrets[D]!)
    const base = cst('2026-07-01T08:00:00')
    const events: unknown[] = Array.from({ length: 300 }, (_, i) => ({
      device: D, ts: base + i * 60_000, seq: 90_000 + i, direction: i % 2 === 0 ? 'in' : 'out', method: 'face', result: 'granted', worker: worker(i % 11)
    }))
    events[7] = { ...(events[7] as object), worker: '张伟' } // a name: never stored
    const t0 = Date.now()
    await device.publishAsync(`stations/${S}/door/batch`, JSON.stringify({ events }), { qos: 1 })
    await device.publishAsync(`stations/${S}/door/batch`, JSON.stringify({ events }), { qos: 1 }) // resent
    const range = { station: S, from: new Date(base).toISOString(), to: new Date(base + 86_400_000).toISOString() }
    const stored = await stack.query<{ count: number }>('SELECT count("seq") FROM "door" WHERE "station" = $station AND time >= $from AND time < $to', range)
    expect(stored[0]!.count).toBe(299)
    const rejected = await stack.query<{ reason: string }>('SELECT "reason" FROM "rejected" WHERE "station" = $station AND time >= $from', { station: S, from: new Date(t0 - 1000).toISOString() })
    expect(rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^batch events\[7\]: worker/),
      expect.stringMatching(/^batch events\[7\]: worker/)
    ])
    const { body } = await visits(S, '2026-07-01', '2026-07-01')
    expect(body.days[0]).toEqual({ date: '2026-07-01', visits: 150, uniqueWorkers: 11, denied: 0 })
    await device.endAsync()
  })
})

describe('broker security', () => {
  test('a wrong password is refused with CONNACK 4', async () => {
    await expect(connectDevice(stack.mqttUrl, D, 'not-the-secret')).rejects.toThrow(/Bad username or password/i)
    await expect(connectDevice(stack.mqttUrl, 'no-such-device', secrets[D]!)).rejects.toThrow(/Bad username or password/i)
  })

  test('publishing to another station closes the connection and stores nothing', async () => {
    // The other station exists, with a device of its own: the refusal is the ACL's.
    expect(Object.keys(otherSecrets)).toEqual(['sz-nanshan-002-door'])
    const device = await connectDevice(stack.mqttUrl, D, secrets[D]!)
    const ts = cst('2026-05-01T09:00:00')
    void publishEvent(device, 'sz-nanshan-002', 'door', { device: D, ts, seq: 1, direction: 'in', method: 'face', result: 'granted', worker: worker(9) }).catch(() => {})
    await closed(device)
    device.end(true)
    const rows = await stack.query('SELECT * FROM "door" WHERE time >= $from AND time < $to', {
      from: new Date(ts - 1000).toISOString(), to: new Date(ts + 1000).toISOString()
    })
    expect(rows.length).toBe(0)
    const { body } = await visits('sz-nanshan-002', '2026-05-01', '2026-05-01')
    expect(body.days[0].visits).toBe(0)
  })

  test('$SYS and other stations cannot be subscribed (SUBACK 0x80); own station can', async () => {
    const device = await connectDevice(stack.mqttUrl, D, secrets[D]!)
    for (const topic of ['$SYS/#', 'stations/sz-nanshan-002/#', '#', 'stations/+/door']) {
      // mqtt.js turns a SUBACK return code 0x80 into this error [MQTT-3.9.3-2].
      await expect(device.subscribeAsync(topic, { qos: 1 }), topic).rejects.toThrow(/Subscribe error/)
    }
    const granted = await device.subscribeAsync(`stations/${S}/commands/#`, { qos: 1 })
    expect(granted.map((g) => g.qos)).toEqual([1])
    expect(device.connected).toBe(true)
    await device.endAsync()
  })

  test('an invalid payload is acknowledged, stored as rejected with a reason, and the next valid message is stored', async () => {
    const device = await connectDevice(stack.mqttUrl, D, secrets[D]!)
    const t0 = Date.now()
    await device.publishAsync(`stations/${S}/door`, '{"device":"sz-futian-001-door","ts":1,"seq":-1,"direction":"sideways"}', { qos: 1 })
    await device.publishAsync(`stations/${S}/environment`, 'not json at all', { qos: 1 })
    const ts = cst('2026-06-01T12:00:00')
    await publishEvent(device, S, 'door', { device: D, ts, seq: 77, direction: 'in', method: 'qr', result: 'granted', worker: worker(77) })
    expect(device.connected).toBe(true)

    const rejected = (await stack.query<{ channel: string, reason: string, payload: string, client: string }>(
      'SELECT "channel", "reason", "payload", "client" FROM "rejected" WHERE "station" = $station AND time >= $from',
      { station: S, from: new Date(t0 - 1000).toISOString() })).filter((r) => !r.reason.startsWith('batch'))
    expect(rejected).toHaveLength(2)
    const door = rejected.find((r) => r.channel === 'door')!
    expect(door.reason).toMatch(/ts: .*2020/)
    expect(door.reason).toMatch(/seq/)
    expect(door.reason).toMatch(/direction/)
    // The payload's shape, with the values the contract refused masked (docs/influxdb-schema.md).
    expect(door.payload).toBe(`{"device":"${D}","ts":"<number:1>","seq":"<number:2>","direction":"<string:8>"}`)
    expect(door.client).toBe(D)
    const env = rejected.find((r) => r.channel === 'environment')!
    expect([env.reason, env.payload]).toEqual(['invalid JSON: Unexpected token', '<invalid JSON: 15 bytes>'])

    const stored = await stack.query<{ seq: number, worker: string }>('SELECT "seq", "worker" FROM "door" WHERE "station" = $station AND time >= $from AND time < $to', {
      station: S, from: new Date(ts).toISOString(), to: new Date(ts + 1).toISOString()
    })
    expect(stored.map((r) => [r.seq, r.worker])).toEqual([[77, worker(77)]])
    await device.endAsync()
  })
})

describe('metrics', () => {
  // Runs last in this file: the counts are those of the tests above.
  test('/metrics exposes ingest, refusal and connection counters in Prometheus format', async () => {
    const res = await fetch(`${stack.apiUrl}/metrics`, { headers: stack.auth() })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/plain/)
    const text = await res.text()
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1])
    expect(value('waystation_events_rejected_total{reason="invalid_json"}')).toBe(1)
    expect(value('waystation_messages_refused_total{reason="acl"}')).toBe(1)
    expect(value('waystation_mqtt_connections_refused_total{reason="bad_credentials"}')).toBe(2)
    expect(value('waystation_events_stored_total{channel="door"}')).toBeGreaterThan(500)
    expect(value('waystation_ingest_pending_points')).toBe(0)
    expect(text).toMatch(/^waystation_influx_write_seconds_bucket\{le="0.005"\} \d+$/m)
    expect(text).toMatch(/^waystation_process_resident_memory_bytes \d+/m)
  })
})

describe('presence', () => {
  test('connect, last seen and disconnect per device; a takeover does not mark the device offline; the will is stored', async () => {
    const P = 'sz-presence-9'
    const ids = await stack.addStation({ id: P, name: 'Presence' }, [`${P}-door`, `${P}-sensors`])
    const get = async () => (await fetch(`${stack.apiUrl}/stations/${P}/presence`, { headers: stack.auth() })).json() as Promise<any>
    expect(await get()).toMatchObject({ stationId: P, state: 'never_seen', lastSeenAt: null, devices: [] })
    // Connects and disconnects reach the registry within 100 ms (written in batches).
    const until = async (state: string) => {
      for (let i = 0; i < 50 && (await get()).state !== state; i++) await new Promise((r) => setTimeout(r, 20))
      return get()
    }

    const will = { topic: `stations/${P}/status`, payload: Buffer.from(JSON.stringify({ device: `${P}-door`, ts: cst('2026-08-01T00:00:00'), seq: 1, state: 'offline' })), qos: 1 as const, retain: true }
    const door = await connectDevice(stack.mqttUrl, `${P}-door`, ids[`${P}-door`]!, { will })
    let p = await until('online')
    expect(p.state).toBe('online')
    expect(p.devices).toEqual([expect.objectContaining({ deviceId: `${P}-door`, connected: true, disconnectedAt: null })])

    // Same client id connects again: the broker drops the first connection [MQTT-3.1.4-2].
    const again = await connectDevice(stack.mqttUrl, `${P}-door`, ids[`${P}-door`]!)
    await closed(door)
    door.end(true)
    await new Promise((r) => setTimeout(r, 300)) // past the write delay: the takeover is recorded
    p = await get()
    expect(p.state).toBe('online')
    expect(p.devices[0].connected).toBe(true)

    await again.endAsync() // clean DISCONNECT: no will
    p = await until('offline')
    expect(p.state).toBe('offline')
    expect(p.devices[0]).toMatchObject({ connected: false, disconnectReason: 'disconnect' })

    // A connection lost without DISCONNECT publishes the will, which is stored like any status.
    const dropped = await connectDevice(stack.mqttUrl, `${P}-door`, ids[`${P}-door`]!, { will })
    dropped.stream.destroy()
    await closed(dropped)
    dropped.end(true)
    for (let i = 0; i < 50 && (await get()).devices[0].disconnectReason !== 'connection lost'; i++) await new Promise((r) => setTimeout(r, 20))
    expect((await get()).devices[0]).toMatchObject({ connected: false, disconnectReason: 'connection lost' })
    let rows: Array<{ state: string }> = []
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      rows = await stack.query<{ state: string }>('SELECT "state" FROM "status" WHERE "station" = $station', { station: P })
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 20))
    }
    expect(rows.map((r) => r.state)).toEqual(['offline'])
  })
})
