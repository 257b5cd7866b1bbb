// The live view end to end: MQTT device → Aedes → ingest → InfluxDB → stored-events hook →
// live state → GET /live, /stations/{id}/live and the SSE stream, read over real HTTP with a
// fetch-based client, through the combined process `waystation start` runs.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { MqttClient } from 'mqtt'
import { buildApp } from '../api/build-app.ts'
import { createLiveService } from '../api/live/live-service.ts'
import { startLive } from '../api/live/start-live.ts'
import { FleetLiveColumns, type FleetLive, type StationLive } from '../api/live/schemas.ts'
import type { Channel, PayloadOf } from '../contract/index.ts'
import { createLogger } from '../platform/logger.ts'
import { createAdmin } from '../registry/admin.ts'
import { influxQueryFn } from '../rollups/influx-query.ts'
import { bearer } from './support/api-tokens.ts'
import { connectDevice, publishEvent, worker } from './support/device.ts'
import { openSse, type SseEvent, type SseItem } from './support/sse-client.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const A = 'sz-futian-001'
const B = 'sz-nanshan-002'
const HA = `${A}-hub`
const HB = `${B}-hub`
const TZ = 'Asia/Shanghai'

let stack: TestStack
let hubA: MqttClient
let hubB: MqttClient
let seq = 1
let stopped = false

beforeAll(async () => {
  // No alert evaluation here (test/live-alerts.test.ts has it): alerts that open on their own
  // timers would change the live state between the running app's read and the rebuilt one's
  // in the restart test (the live state counts pending alerts).
  stack = await startTestStack({ LIVE_HEARTBEAT_S: '1', ALERTS_EVALUATION: 'off' })
  const a = await stack.addStation({ id: A, name: '福田区爱心驿站 1', district: 'futian', timezone: TZ, capacity: 4, lat: 22.54, lon: 114.05 }, [HA])
  const b = await stack.addStation({ id: B, name: '南山区爱心驿站 2', district: 'nanshan', timezone: TZ, capacity: 10 }, [HB])
  hubA = await connectDevice(stack.mqttUrl, HA, a[HA]!)
  hubB = await connectDevice(stack.mqttUrl, HB, b[HB]!)
})
afterAll(async () => {
  await hubA?.endAsync()
  await hubB?.endAsync()
  if (!stopped) await stack?.stop()
})

const send = <C extends Channel>(client: MqttClient, station: string, channel: C, payload: Omit<PayloadOf<C>, 'device' | 'seq' | 'ts'> & { ts?: number, seq?: number }) =>
  publishEvent(client, station, channel, { device: client === hubA ? HA : HB, ts: Date.now(), seq: seq++, ...payload } as PayloadOf<C>)

async function getJson<T> (path: string, headers = stack.auth()): Promise<{ status: number, body: T }> {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers })
  return { status: res.status, body: await res.json() as T }
}
const live = async (id: string, headers = stack.auth()) => (await getJson<StationLive>(`/stations/${id}/live`, headers)).body

/** Polls until check passes (a slow, shared machine: generous bound). */
async function until<T> (get: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await get()
    if (check(v)) return v
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(v).slice(0, 1500)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const isStation = (id: string, match: (s: StationLive) => boolean = () => true) =>
  (i: SseItem): i is SseEvent => 'event' in i && i.event === 'station' && (JSON.parse(i.data) as StationLive).stationId === id && match(JSON.parse(i.data) as StationLive)
const localHour = (ms: number) => Number(new Intl.DateTimeFormat('en-US', { timeZone: TZ, hour: 'numeric', hourCycle: 'h23' }).format(ms)) % 24

describe('live state from stored events', () => {
  test('a door event shows in GET /stations/{id}/live and on the stream within a few seconds of its PUBACK', async () => {
    await until(() => live(A), (s) => s.online)
    const before = await live(A)
    const sse = await openSse(`${stack.apiUrl}/live/stream`, stack.auth())
    expect(sse.status).toBe(200)
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/)
    // Headers of every API answer survive the hijacked response (helmet).
    expect(sse.headers.get('x-content-type-options')).toBe('nosniff')
    const snapshot = await sse.waitFor((i): i is SseEvent => 'event' in i && i.event === 'snapshot')
    const fleet = JSON.parse(snapshot.data) as FleetLive
    expect(fleet.stations.map((s) => s.stationId)).toEqual([A, B])
    expect(sse.items[0]).not.toHaveProperty('comment')

    const ts = Date.now()
    await send(hubA, A, 'door', { ts, direction: 'in', method: 'face', result: 'granted', worker: worker(1) })
    const acked = Date.now()
    const pushed = await sse.waitFor(isStation(A, (s) => s.visitsToday === before.visitsToday + 1), 10_000)
    // The target is 1 s; a loaded test machine gets a generous bound.
    expect(Date.now() - acked).toBeLessThan(3_000)
    const s = JSON.parse(pushed.data) as StationLive
    expect(s.uniqueWorkersToday).toBe(before.uniqueWorkersToday + 1)
    expect(s.entriesByHourToday[localHour(ts)]).toBe(before.entriesByHourToday[localHour(ts)]! + 1)
    expect(s.version).toBeGreaterThan(before.version)
    expect(pushed.id).toMatch(/^[a-z0-9]+-\d+$/)
    expect((await live(A)).visitsToday).toBe(before.visitsToday + 1)
    await sse.close()
  })

  test('exits, denied scans, repeat workers and a resent message count as the figures define', async () => {
    const before = await live(A)
    const ts = Date.now()
    const entry = { ts, seq: 999_999, direction: 'in' as const, method: 'card' as const, result: 'granted' as const, worker: worker(1) }
    await send(hubA, A, 'door', entry)
    await send(hubA, A, 'door', entry) // a resend: the same point in InfluxDB, one visit
    await send(hubA, A, 'door', { ts: ts + 1, direction: 'out', method: 'card', result: 'granted', worker: worker(1) })
    await send(hubA, A, 'door', { ts: ts + 2, direction: 'in', method: 'face', result: 'denied' })
    await send(hubA, A, 'door', { ts: ts + 3, direction: 'in', method: 'manual', result: 'granted' })
    const after = await until(() => live(A), (s) => s.visitsToday >= before.visitsToday + 2)
    await new Promise((r) => setTimeout(r, 300))
    expect(await live(A)).toMatchObject({ visitsToday: before.visitsToday + 2, uniqueWorkersToday: before.uniqueWorkersToday })
    expect(after.today).toMatch(/^\d{4}-\d{2}-\d{2}$/)
  })

  test('occupancy, climate, equipment and supplies update the state', async () => {
    const t = Date.now()
    await send(hubA, A, 'occupancy', { ts: t, count: 3 })
    await send(hubA, A, 'environment', { ts: t, temperature: 24.5, humidity: 55, co2: 800 })
    await send(hubA, A, 'environment', { ts: t + 1, pm25: 20 }) // a partial reading keeps the others
    await send(hubA, A, 'equipment', { ts: t, appliance: 'microwave', unit: 1, state: 'on', powerW: 800 })
    await send(hubA, A, 'equipment', { ts: t, appliance: 'charger', unit: 2, state: 'fault', fault: 'E42' })
    await send(hubA, A, 'supply', { ts: t, item: 'bottled-water', quantity: 20, capacity: 48 })
    await send(hubA, A, 'supply', { ts: t + 1, item: 'bottled-water', quantity: 19 })
    // An old reading uploaded late changes nothing.
    await send(hubA, A, 'occupancy', { ts: t - 60_000, count: 0 })
    let s = await until(() => live(A), (x) => x.supplies.length === 1 && x.supplies[0]!.quantity === 19 && x.climate?.pm25 === 20 && x.equipment.length === 2)
    expect(s).toMatchObject({ occupancy: 3, state: 'busy', online: true })
    expect(s.climate).toMatchObject({ temperature: 24.5, humidity: 55, co2: 800, pm25: 20, comfort: 'good', at: new Date(t + 1).toISOString() })
    expect(s.equipment).toEqual([
      { appliance: 'charger', unit: 2, state: 'fault', fault: 'E42', at: new Date(t).toISOString() },
      { appliance: 'microwave', unit: 1, state: 'on', fault: null, at: new Date(t).toISOString() }
    ])
    // No catalog entry: no threshold, names or forecast (test/live-supplies.test.ts has those).
    expect(s.supplies).toEqual([{ item: 'bottled-water', quantity: 19, capacity: 48, at: new Date(t + 1).toISOString(), nameZh: null, nameEn: null, percent: 39.6, threshold: null, level: 'ok', timeToEmptyHours: null, emptyAt: null, band: { low: null, high: null }, pendingRestock: 0 }])
    expect(s.devices).toEqual([expect.objectContaining({ id: HA, kind: 'hub', online: true })])

    await send(hubA, A, 'occupancy', { ts: t + 2, count: 4 })
    await send(hubA, A, 'environment', { ts: t + 2, co2: 2600 })
    s = await until(() => live(A), (x) => x.occupancy === 4 && x.climate?.co2 === 2600)
    expect(s).toMatchObject({ state: 'full', climate: { comfort: 'poor' } })
    expect(s.lastMessageAt).toBe(new Date(t + 2).toISOString())
  })
})

describe('stream resume', () => {
  test('Last-Event-ID resumes with exactly the missed events', async () => {
    const watcher = await openSse(`${stack.apiUrl}/live/stream`, stack.auth())
    await watcher.waitFor((i) => 'event' in i && i.event === 'snapshot')
    const client = await openSse(`${stack.apiUrl}/live/stream`, stack.auth())
    await client.waitFor((i) => 'event' in i && i.event === 'snapshot')
    await send(hubA, A, 'occupancy', { count: 1 })
    await client.waitFor(isStation(A, (s) => s.occupancy === 1))
    await client.close()
    const lastId = client.events().at(-1)!.id!

    // Missed while away: changes of both stations, pushed as separate events.
    await send(hubB, B, 'occupancy', { count: 2 })
    await watcher.waitFor(isStation(B, (s) => s.occupancy === 2))
    await send(hubA, A, 'occupancy', { count: 2 })
    await watcher.waitFor(isStation(A, (s) => s.occupancy === 2))
    await send(hubB, B, 'supply', { item: 'raincoat', quantity: 5 })
    await watcher.waitFor(isStation(B, (s) => s.supplies.length === 1))

    const all = watcher.stations()
    const missed = all.slice(all.findIndex((e) => e.id === lastId) + 1)
    expect(missed.length).toBeGreaterThanOrEqual(3)
    const resumed = await openSse(`${stack.apiUrl}/live/stream`, { ...stack.auth(), 'last-event-id': lastId })
    await resumed.waitFor((i) => 'event' in i && i.id === missed.at(-1)!.id)
    expect(resumed.events().some((e) => e.event === 'snapshot')).toBe(false)
    expect(resumed.stations().slice(0, missed.length)).toEqual(missed)
    await resumed.close()

    // The query parameter works for clients that cannot set the header.
    const viaQuery = await openSse(`${stack.apiUrl}/live/stream?lastEventId=${encodeURIComponent(missed.at(-2)!.id)}`, stack.auth())
    await viaQuery.waitFor((i) => 'event' in i && i.id === missed.at(-1)!.id)
    expect(viaQuery.stations()[0]).toEqual(missed.at(-1))
    await viaQuery.close()
    await watcher.close()
  })

  test('an id of another process, from the future or malformed gets a snapshot', async () => {
    const probe = await openSse(`${stack.apiUrl}/live/stream`, stack.auth())
    const snap = await probe.waitFor((i): i is SseEvent => 'event' in i && i.event === 'snapshot')
    await probe.close()
    const [epoch, n] = snap.id!.split('-') as [string, string]
    for (const id of ['zzzzzz-1', `${epoch}-${Number(n) + 1000}`, 'garbage', `${epoch}x-${n}`]) {
      const sse = await openSse(`${stack.apiUrl}/live/stream`, { ...stack.auth(), 'last-event-id': id })
      const first = await sse.waitFor((i): i is SseEvent => 'event' in i)
      expect(first.event, id).toBe('snapshot')
      expect((JSON.parse(first.data) as FleetLive).stations.length).toBe(2)
      await sse.close()
    }
  })

  test('heartbeats arrive on a quiet stream, after the retry hint', async () => {
    const sse = await openSse(`${stack.apiUrl}/live/stream?station=${B}`, stack.auth())
    await sse.waitFor((i) => 'comment' in i && i.comment === 'heartbeat', 10_000)
    const snap = sse.events()[0]!
    expect(snap.event).toBe('snapshot')
    expect((JSON.parse(snap.data) as FleetLive).stations.map((s) => s.stationId)).toEqual([B])
    await sse.close()
    expect((await fetch(`${stack.apiUrl}/live/stream?station=${B}&district=x`, { headers: stack.auth() })).status).toBe(400)
    expect((await fetch(`${stack.apiUrl}/live/stream?station=nope`, { headers: stack.auth() })).status).toBe(404)
    expect((await fetch(`${stack.apiUrl}/live/stream`)).status).toBe(401)
    const head = await fetch(`${stack.apiUrl}/live/stream`, { method: 'HEAD', headers: stack.auth() })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/)
  })
})

describe('scope', () => {
  test('a district-scoped token sees only its district, on /live and on the stream, and not after revocation', async () => {
    const { token, secret } = await stack.registry.tokens.create({ name: 'futian board', role: 'viewer', createdBy: 'test', scope: { kind: 'district', district: 'futian' } })
    const headers = bearer(secret)
    const fleet = await getJson<FleetLive>('/live', headers)
    expect(fleet.status).toBe(200)
    expect(fleet.body.stations.map((s) => s.stationId)).toEqual([A])
    expect((await getJson(`/stations/${B}/live`, headers)).status).toBe(404)
    expect((await getJson(`/stations/${A}/live`, headers)).status).toBe(200)
    expect((await getJson<FleetLive>('/live?district=nanshan', headers)).body.stations).toEqual([])
    expect((await fetch(`${stack.apiUrl}/live/stream?station=${B}`, { headers })).status).toBe(404)

    // The fleet view's columnar form: the same scope, and nothing of the other station, not
    // even its district in the dictionary (the whole fleet's answer has both).
    const all = FleetLiveColumns.parse((await getJson('/live/summary?format=columns')).body)
    expect(all.columns.stationId).toEqual([A, B])
    for (const url of ['/live/summary?format=columns', '/live/summary?format=columns&district=futian']) {
      const res = await fetch(`${stack.apiUrl}${url}`, { headers })
      expect(res.status, url).toBe(200)
      const text = await res.text()
      const cols = FleetLiveColumns.parse(JSON.parse(text))
      expect(cols.columns.stationId, url).toEqual([A])
      expect(cols.columns.district.values, url).toEqual(['futian'])
      expect(text, url).not.toContain(B)
      expect(text, url).not.toContain('nanshan')
      expect(text, url).not.toContain('南山区爱心驿站')
    }
    const outside = FleetLiveColumns.parse((await getJson('/live/summary?format=columns&district=nanshan', headers)).body)
    expect(outside).toMatchObject({ count: 0, columns: { stationId: [], district: { values: [], codes: [] } } })
    const colStream = await openSse(`${stack.apiUrl}/live/stream?view=summary&format=columns`, headers)
    const colSnap = await colStream.waitFor((i): i is SseEvent => 'event' in i && i.event === 'snapshot')
    expect(FleetLiveColumns.parse(JSON.parse(colSnap.data)).columns.stationId).toEqual([A])
    expect(colSnap.data).not.toContain('nanshan')
    await colStream.close()

    const sse = await openSse(`${stack.apiUrl}/live/stream`, headers)
    const snap = await sse.waitFor((i): i is SseEvent => 'event' in i && i.event === 'snapshot')
    expect((JSON.parse(snap.data) as FleetLive).stations.map((s) => s.stationId)).toEqual([A])
    await send(hubB, B, 'occupancy', { count: 7 })
    await until(() => live(B), (s) => s.occupancy === 7)
    await send(hubA, A, 'occupancy', { count: 3 })
    await sse.waitFor(isStation(A, (s) => s.occupancy === 3))
    expect(sse.stations().map((e) => e.data.stationId)).not.toContain(B)

    // A revoked token's stream ends at the next heartbeat.
    await createAdmin(stack.registry).revokeToken('test', token.id)
    await sse.done
    expect(sse.ended).toBe(true)
  })
})

describe('restart', () => {
  test('an app built again on the same InfluxDB and registry shows the same state at once', async () => {
    const now = await live(A)
    const other = await live(B)
    const service = createLiveService({ registry: stack.registry, query: influxQueryFn(stack.influx), logger: createLogger('silent'), offlineAfterSeconds: 300 })
    expect(await service.start()).toBe(true)
    const ok = async () => ({ ok: true })
    const app = buildApp({ registry: stack.registry, influx: stack.influx, logger: createLogger('silent'), probes: { influx: ok, broker: ok }, live: service })
    try {
      for (const before of [now, other]) {
        const res = await app.inject({ url: `/stations/${before.stationId}/live`, headers: stack.auth() })
        expect(res.statusCode).toBe(200)
        const after = res.json() as StationLive
        const data = ({ devices: _d, online: _o, state: _s, version: _v, ...rest }: StationLive) => rest
        expect(data(after)).toEqual(data(before))
      }
      // Something to compare: entries (one sent with seq 999999 and resent), readings, units.
      expect(now.climate).not.toBeNull()
      expect(now.visitsToday).toBeGreaterThan(2)
      expect(now.equipment.length).toBe(2)
      expect(now.supplies.length).toBe(1)
    } finally {
      await app.close()
      service.close()
    }
  })
})

describe('API-only process', () => {
  test('follows stored events as an MQTT service client of the broker', async () => {
    const { secret } = await createAdmin(stack.registry).addService('test', { id: 'api-live', name: 'API live view', scope: { kind: 'all' } })
    const running = await startLive({
      config: { ...stack.config, BROKER_URL: stack.mqttUrl, LIVE_MQTT_SERVICE_ID: 'api-live', LIVE_MQTT_SERVICE_SECRET: secret },
      registry: stack.registry,
      logger: createLogger('silent'),
      source: 'broker'
    })
    try {
      const visits = () => running.live.store.get(B)!.today.visits
      const before = visits()
      // Subscribed once a first message gets through: keep sending until one is seen.
      await until(async () => {
        await send(hubB, B, 'door', { direction: 'in', method: 'qr', result: 'granted', worker: worker(9) })
        return visits()
      }, (v) => v > before)
      await send(hubB, B, 'equipment', { appliance: 'ac', unit: 1, state: 'on', setpoint: 26 })
      await until(async () => running.live.store.view(running.live.store.get(B)!), (s) => s.equipment.some((e) => e.appliance === 'ac'))
    } finally {
      await running.close()
    }
  })
})

describe('docs and metrics', () => {
  test('the three routes are in the OpenAPI document; /metrics counts streams and pushed events', async () => {
    const doc = (await stack.app.inject({ url: '/docs/json' })).json()
    expect(doc.paths['/live'].get.responses['200']).toBeDefined()
    expect(doc.paths['/stations/{id}/live'].get.responses['404']).toBeDefined()
    const stream = doc.paths['/live/stream'].get
    expect(Object.keys(stream.responses['200'].content)).toEqual(['text/event-stream'])
    expect(stream.description).toMatch(/Last-Event-ID/)
    expect(stream.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['station', 'district', 'lastEventId', 'last-event-id']))

    const sse = await openSse(`${stack.apiUrl}/live/stream`, stack.auth())
    await sse.waitFor((i) => 'event' in i && i.event === 'snapshot')
    const text = await (await fetch(`${stack.apiUrl}/metrics`, { headers: stack.auth() })).text()
    expect(text).toMatch(/^waystation_live_sse_connections 1$/m)
    expect(Number(/^waystation_live_sse_events_pushed_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0)
    await sse.close()
  })

  test('shutting down ends open streams instead of waiting for them', async () => {
    const sse = await openSse(`${stack.apiUrl}/live/stream`, stack.auth())
    await sse.waitFor((i) => 'event' in i && i.event === 'snapshot')
    await hubA.endAsync()
    await hubB.endAsync()
    stopped = true
    await stack.stop()
    await sse.done
    expect(sse.ended).toBe(true)
  })
})
