// A restock logged at a station with a shelf sensor shows at once: GET /stations/{id}/supplies
// and the live state give the sensor's last reading plus the restocks logged after it, capped at
// the shelf's capacity and marked (`pendingRestock`); when the sensor then reports the jump the
// restock is not counted twice (level, live state and the restock log). Through the combined
// process `waystation start` runs, with real MQTT supply events stored in InfluxDB.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { MqttClient } from 'mqtt'
import type { StationLive } from '../api/live/schemas.ts'
import type { ItemForecast, Restock } from '../supplies/schemas.ts'
import { connectDevice, publishEvent } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const S = 'sz-futian-301'
const SHELF = `${S}-shelf`
const TZ = 'Asia/Shanghai'
const water = { nameZh: '瓶装水', nameEn: 'Bottled water', unit: 'bottle', capacity: 48, threshold: 12, weather: 'heat' }

let stack: TestStack
let shelf: MqttClient
let seq = 0

beforeAll(async () => {
  stack = await startTestStack()
  const secrets = await stack.addStation({ id: S, name: '福田区爱心驿站 301', district: 'futian', timezone: TZ, capacity: 6, lat: 22.54, lon: 114.05 }, [SHELF])
  expect((await post(`/stations/${S}/supplies/items/bottled-water`, water, 'admin')).status).toBe(200)
  shelf = await connectDevice(stack.mqttUrl, SHELF, secrets[SHELF]!)
})
afterAll(async () => {
  await shelf?.endAsync()
  await stack?.stop()
})

async function post (path: string, body: unknown, role: 'operator' | 'admin' = 'operator') {
  return fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { ...stack.auth(role), 'content-type': 'application/json' }, body: JSON.stringify(body) })
}
async function get<T> (path: string): Promise<T> {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: stack.auth() })
  const body = await res.json() as T
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`)
  return body
}
const waterLevel = async () => (await get<{ items: ItemForecast[] }>(`/stations/${S}/supplies`)).items.find((i) => i.item === 'bottled-water')!
const liveWater = async () => (await get<StationLive>(`/stations/${S}/live`)).supplies.find((s) => s.item === 'bottled-water')
const reading = (ts: number, quantity: number) => publishEvent(shelf, S, 'supply', { device: SHELF, ts, seq: ++seq, item: 'bottled-water', quantity, capacity: 48 })
const localDate = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(ms)

async function until<T> (read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await read()
    if (check(v)) return v
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(v).slice(0, 1500)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('a logged restock at a station with a shelf sensor', () => {
  test('shows at once in the level and the live state, and is counted once when the sensor reports it', async () => {
    const t0 = Date.now()
    await reading(t0 - 30 * 60_000, 10)
    // The sensor's reading reaches the model (the live view refreshes it on a supply reading).
    const before = await until(waterLevel, (w) => w.level === 10 && w.lastReadingAt === new Date(t0 - 30 * 60_000).toISOString())
    expect(before).toMatchObject({ levelSource: 'sensor', pendingRestock: 0 })
    await until(liveWater, (w) => w?.quantity === 10)

    expect((await post(`/stations/${S}/supplies/restocks`, { item: 'bottled-water', quantity: 24, source: 'purchase', by: '王师傅' })).status).toBe(201)
    // At once, in the API: the last reading + the restock logged after it, marked as such.
    expect(await waterLevel()).toMatchObject({ level: 34, percent: 70.8, levelSource: 'sensor', pendingRestock: 24, lastReadingAt: before.lastReadingAt })
    // And in the live state, as soon as the restock's refresh has run.
    expect(await until(liveWater, (w) => w?.quantity === 34)).toMatchObject({ pendingRestock: 24 })

    // The sensor reports the jump: 34, not 58.
    const jumpAt = Date.now() + 1_000
    await reading(jumpAt, 34)
    const after = await until(waterLevel, (w) => w.lastReadingAt === new Date(jumpAt).toISOString())
    expect(after).toMatchObject({ level: 34, pendingRestock: 0, levelSource: 'sensor' })
    expect(await until(liveWater, (w) => w?.at === new Date(jumpAt).toISOString())).toMatchObject({ quantity: 34, pendingRestock: 0 })
    // The restock log holds the logged restock once and no unlogged jump.
    const { restocks } = await get<{ restocks: Restock[] }>(`/stations/${S}/supplies/restocks?from=${localDate(t0 - 86_400_000)}&to=${localDate(t0 + 86_400_000)}`)
    expect(restocks.filter((r) => r.supersededBy === null).map((r) => [r.kind, r.quantity])).toEqual([['logged', 24]])

    // A second restock soon after (the jump is the first one's), beyond the shelf: capped at
    // capacity until the sensor says more.
    await until(async () => Date.now(), (t) => t > jumpAt)
    expect((await post(`/stations/${S}/supplies/restocks`, { item: 'bottled-water', quantity: 30, source: 'donation', donor: '深圳市爱心饮用水有限公司' })).status).toBe(201)
    expect(await waterLevel()).toMatchObject({ level: 48, percent: 100, pendingRestock: 30 })
    await until(liveWater, (w) => w?.quantity === 48)
    const fullAt = Date.now() + 1_000
    await reading(fullAt, 48)
    expect(await until(waterLevel, (w) => w.lastReadingAt === new Date(fullAt).toISOString())).toMatchObject({ level: 48, pendingRestock: 0 })
  })
})
