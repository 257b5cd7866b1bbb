// Supplies in the live state, through the combined process `waystation start` runs: a shelf
// reading under the catalog's threshold shows as "low" on GET /stations/{id}/live and on the
// stream; a hand count and a logged restock (POST …/counts, …/restocks) refresh a station
// without a shelf sensor; a district-scoped token still sees only its district.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { MqttClient } from 'mqtt'
import type { FleetLive, LiveSupply, StationLive } from '../api/live/schemas.ts'
import { connectDevice, publishEvent } from './support/device.ts'
import { openSse, type SseEvent, type SseItem } from './support/sse-client.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const S = 'sz-futian-101' // shelf sensor
const M = 'sz-nanshan-102' // hand counts only
const SHELF = `${S}-shelf`
const TZ = 'Asia/Shanghai'
const water = { nameZh: '瓶装水', nameEn: 'Bottled water', unit: 'bottle', capacity: 48, threshold: 12, weather: 'heat', priceCents: 150 }

let stack: TestStack
let shelf: MqttClient

beforeAll(async () => {
  stack = await startTestStack({ LIVE_HEARTBEAT_S: '1' })
  const a = await stack.addStation({ id: S, name: '福田区爱心驿站 101', district: 'futian', timezone: TZ, capacity: 6, lat: 22.54, lon: 114.05 }, [SHELF])
  await stack.addStation({ id: M, name: '南山区爱心驿站 102', district: 'nanshan', timezone: TZ, capacity: 6, lat: 22.53, lon: 113.93 }, [`${M}-door`])
  for (const id of [S, M]) expect((await post(`/stations/${id}/supplies/items/bottled-water`, water, 'admin')).status).toBe(200)
  shelf = await connectDevice(stack.mqttUrl, SHELF, a[SHELF]!)
  // The live view reads the registry every couple of seconds.
  await until(async () => (await (await fetch(`${stack.apiUrl}/live`, { headers: stack.auth() })).json() as FleetLive).stations.length, (n) => n === 2)
})
afterAll(async () => {
  await shelf?.endAsync()
  await stack?.stop()
})

async function post (path: string, body: unknown, role: 'operator' | 'admin' | 'viewer' = 'operator') {
  return fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { ...stack.auth(role), 'content-type': 'application/json' }, body: JSON.stringify(body) })
}
async function live (id: string, headers = stack.auth()): Promise<StationLive> {
  const res = await fetch(`${stack.apiUrl}/stations/${id}/live`, { headers })
  const body = await res.json() as StationLive
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`)
  return body
}
const waterOf = (s: StationLive): LiveSupply | undefined => s.supplies.find((x) => x.item === 'bottled-water')

async function until<T> (get: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await get()
    if (check(v)) return v
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(v).slice(0, 1500)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('supplies in the live state', () => {
  test('a shelf reading under the threshold is "low" with the catalog threshold and %, on GET and on the stream', async () => {
    const sse = await openSse(`${stack.apiUrl}/live/stream?station=${S}`, stack.auth())
    await sse.waitFor((i): i is SseEvent => 'event' in i && i.event === 'snapshot')
    await publishEvent(shelf, S, 'supply', { device: SHELF, ts: Date.now(), seq: 1, item: 'bottled-water', quantity: 6, capacity: 48 })
    const s = await until(() => live(S), (v) => waterOf(v)?.threshold === 12 && waterOf(v)?.quantity === 6)
    expect(waterOf(s)).toMatchObject({ quantity: 6, capacity: 48, percent: 12.5, threshold: 12, level: 'low', nameZh: '瓶装水', nameEn: 'Bottled water' })
    const pushed = await sse.waitFor((i: SseItem): i is SseEvent => 'event' in i && i.event === 'station' && waterOf(JSON.parse(i.data) as StationLive)?.level === 'low', 20_000)
    expect(waterOf(JSON.parse(pushed.data) as StationLive)).toMatchObject({ quantity: 6, level: 'low' })
    // An empty shelf.
    await publishEvent(shelf, S, 'supply', { device: SHELF, ts: Date.now() + 1, seq: 2, item: 'bottled-water', quantity: 0, capacity: 48 })
    await until(() => live(S), (v) => waterOf(v)?.level === 'empty')
    await sse.close()
  })

  test('a station without a sensor: a hand count sets the level, a logged restock raises it to "ok"', async () => {
    const t0 = Date.now()
    expect((await post(`/stations/${M}/supplies/counts`, { item: 'bottled-water', quantity: 3, at: new Date(t0 - 60_000).toISOString() })).status).toBe(201)
    const low = await until(() => live(M), (v) => waterOf(v)?.quantity === 3)
    expect(waterOf(low)).toMatchObject({ level: 'low', threshold: 12, percent: 6.3 })
    expect((await post(`/stations/${M}/supplies/restocks`, { item: 'bottled-water', quantity: 40, source: 'purchase' })).status).toBe(201)
    const ok = await until(() => live(M), (v) => waterOf(v)?.quantity === 43)
    expect(waterOf(ok)).toMatchObject({ level: 'ok', percent: 89.6 })
    // A viewer cannot log a restock: the live level stays.
    expect((await post(`/stations/${M}/supplies/restocks`, { item: 'bottled-water', quantity: 5, source: 'purchase' }, 'viewer')).status).toBe(403)
    expect(waterOf(await live(M))?.quantity).toBe(43)
  })

  test('scope kept: a futian token sees futian supplies only', async () => {
    const { secret } = await stack.registry.tokens.create({ name: 'futian wall', role: 'viewer', createdBy: 'test', scope: { kind: 'district', district: 'futian' } })
    const headers = { authorization: `Bearer ${secret}` }
    const fleet = await (await fetch(`${stack.apiUrl}/live`, { headers })).json() as FleetLive
    expect(fleet.stations.map((s) => s.stationId)).toEqual([S])
    expect(waterOf(fleet.stations[0]!)?.threshold).toBe(12)
    expect((await fetch(`${stack.apiUrl}/stations/${M}/live`, { headers })).status).toBe(404)
  })
})
