import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { AnyEvent } from '../contract/index.ts'
import { buildApp, type App } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createInfluxWrite } from '../ingest/influx-write.ts'
import { eventToLine } from '../ingest/to-line.ts'
import { ensureDatabase } from '../platform/influx.ts'
import { addDays, localDate } from '../platform/local-day.ts'
import { createLogger } from '../platform/logger.ts'
import type { Registry } from '../registry/open-registry.ts'
import { dayEvents } from '../simulators/day-events.ts'
import { planDay, type DayPlan } from '../simulators/day-model.ts'
import { dayOfWeek, zonedTimeToUtc } from '../simulators/local-time.ts'
import { simulateShelf, trueTimeToEmpty, type DepletionItem } from '../simulators/shelf-depletion.ts'
import type { DayWeather } from '../simulators/weather.ts'
import type { ItemForecast, Restock } from '../supplies/schemas.ts'
import { apiTokens, type ApiTokens } from './support/api-tokens.ts'
import { openTestRegistry } from './support/test-registry.ts'

// The forecast against the simulator's ground truth, through ingest's mapping into a real
// influxd: 50 stations, two local days (Monday and Tuesday) of door traffic and a depleting
// shelf with known units per visit by hour; at Wednesday 00:00 the forecast time to empty of
// each station-item is compared with the true one (expected arrivals × true units per visit).
// Restocks the staff made on their rounds are logged by the operator for odd stations (half of
// them only after the model saw the sensor jump) and left unlogged for even ones.

const TZ = 'Asia/Shanghai'
const N = 50
const ORDINARY: DayWeather = { condition: 'cloudy', meanC: 20, maxC: 24, humidityDelta: 0, smog: 1, visitFactor: 1, dwellFactor: 1 }
const hours = (rate: number, peaks: number[], peak: number) => Array.from({ length: 24 }, (_, h) => (peaks.includes(h) ? peak : rate))
const ITEMS: DepletionItem[] = [
  { item: 'bottled-water', capacity: 300, threshold: 80, perVisitByHour: hours(0.5, [], 0) },
  { item: 'instant-noodles', capacity: 150, threshold: 40, perVisitByHour: hours(0.12, [11, 12, 17, 18], 0.45) },
  { item: 'wet-wipes', capacity: 100, threshold: 25, perVisitByHour: hours(0.2, [6, 7, 8], 0.35) }
]
// A Monday at least three weeks back, so that every instant of the test is in the past.
const back = addDays(localDate(Date.now(), TZ), -21)
const MONDAY = addDays(back, -((dayOfWeek(back) + 6) % 7))
const DAYS = [MONDAY, addDays(MONDAY, 1)]
const NOW = zonedTimeToUtc(addDays(MONDAY, 2), 0, TZ)

type Sim = { id: string, busyness: number, shelf: ReturnType<typeof simulateShelf> }
let registry: Registry
let app: App
let as: ApiTokens
let clock = NOW
let db: string
let influx: ReturnType<typeof createInfluxClient>
let write: ReturnType<typeof createInfluxWrite>
const sims: Sim[] = []
const id = (i: number) => `sp-${String(i).padStart(4, '0')}`
const district = (i: number) => (i % 2 === 1 ? '东区' : '西区')

async function store (events: Array<{ station: string, event: AnyEvent }>) {
  for (let i = 0; i < events.length; i += 5000) await write(events.slice(i, i + 5000).map((e) => eventToLine(e.station, e.event)).join('\n'))
}
const inject_ = (method: 'GET' | 'POST' | 'PUT', url: string, headers: object, payload?: unknown) =>
  app.inject({ method, url, headers: headers as Record<string, string>, ...(payload === undefined ? {} : { payload: payload as object }) })

async function logRestocks (sim: Sim) {
  for (const r of sim.shelf.restocks.filter((x) => x.ms < NOW)) {
    const res = await inject_('POST', `/stations/${sim.id}/supplies/restocks`, as.operator, { item: r.item, quantity: r.quantity, source: 'donation', donor: '合肥饮用水公司', at: new Date(r.ms).toISOString() })
    expect(res.statusCode, res.body).toBe(201)
  }
}

beforeAll(async () => {
  db = `supplies_${randomBytes(4).toString('hex')}`
  const url = inject('influxUrl')
  influx = createInfluxClient({ INFLUX_URL: url, INFLUX_DB: db })
  await ensureDatabase(influx, db)
  write = createInfluxWrite({ url, database: db, timeoutMs: 30_000 })
  registry = await openTestRegistry()
  app = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: async () => ({ ok: true }), broker: async () => ({ ok: true }) }, supplies: { now: () => clock, maxAgeMs: 0 } })
  await app.ready()
  as = await apiTokens(registry)

  const events: Array<{ station: string, event: AnyEvent }> = []
  for (let i = 1; i <= N; i++) {
    const sid = id(i)
    const busyness = 240 + ((i * 37) % 160)
    await registry.addStation({ id: sid, name: `驿站 ${i}`, district: district(i), timezone: TZ, capacity: 40 })
    const plans: DayPlan[] = DAYS.map((date) => planDay({ stationId: sid, seed: 14, date, timeZone: TZ, busyness, capacity: 40, workerPool: [], weather: ORDINARY }))
    plans.forEach((plan, d) => {
      const devices = { door: { deviceId: `${sid}-door`, seq: d * 100_000 }, sensors: { deviceId: `${sid}-hub`, seq: d * 100_000 } }
      for (const e of dayEvents(plan, devices)) if (e.channel === 'door') events.push({ station: sid, event: e })
    })
    const shelf = simulateShelf({ stationId: sid, seed: 14, timeZone: TZ, plans, items: ITEMS })
    shelf.readings.forEach((r, k) => {
      if (r.ms < NOW) events.push({ station: sid, event: { channel: 'supply', payload: { device: `${sid}-shelf`, ts: r.ms, seq: k, item: r.item, quantity: r.quantity, capacity: r.capacity } } })
    })
    sims.push({ id: sid, busyness, shelf })
  }
  await store(events)
  for (const d of ['东区', '西区']) {
    for (const it of ITEMS) {
      const res = await inject_('POST', `/supplies/districts/${encodeURIComponent(d)}/items/${it.item}`, as.admin, { nameZh: it.item, nameEn: it.item, capacity: it.capacity, threshold: it.threshold })
      expect(res.statusCode, res.body).toBe(200)
    }
  }
  // Odd stations whose index is 3 mod 4 log before the model looks; 1 mod 4 after it (below).
  for (const [k, sim] of sims.entries()) if ((k + 1) % 4 === 3) await logRestocks(sim)
}, 120_000)

afterAll(async () => {
  await app?.close()
  await influx?.dropDatabase(db).catch(() => {})
  registry?.close()
})

describe('supplies forecast against the simulator (50 stations, 2 days of history)', () => {
  let items: ItemForecast[]

  it('time to empty within 10 % of the true one for at least 90 % of station-items', async () => {
    const res = await inject_('GET', '/supplies?horizon=336', as.viewer)
    expect(res.statusCode, res.body).toBe(200)
    items = (res.json() as { items: ItemForecast[] }).items
    expect(items).toHaveLength(N * ITEMS.length)
    let within = 0
    const misses: string[] = []
    for (const f of items) {
      const sim = sims.find((s) => s.id === f.stationId)!
      const item = ITEMS.find((i) => i.item === f.item)!
      const level = sim.shelf.levelAt(f.item, NOW - 1)
      expect(f.level, `${f.stationId} ${f.item}`).toBe(level)
      expect(f.levelSource).toBe('sensor')
      expect(f.rateSource).toBe('station')
      const truth = trueTimeToEmpty(level, NOW, item, { timeZone: TZ, busyness: sim.busyness })!
      const err = Math.abs(f.timeToEmptyHours! - truth) / truth
      if (err <= 0.1) within++
      else misses.push(`${f.stationId} ${f.item}: ${f.timeToEmptyHours} h vs ${truth.toFixed(2)} h`)
      expect(f.band.low!).toBeLessThanOrEqual(f.timeToEmptyHours!)
      expect(f.band.high!).toBeGreaterThanOrEqual(f.timeToEmptyHours!)
    }
    console.log(`supplies forecast: ${within}/${items.length} station-items within 10 % of the true time to empty`, misses.slice(0, 10))
    expect(within / items.length).toBeGreaterThanOrEqual(0.9)
  })

  it('records every restock exactly once: logged ones as logged, sensor jumps nobody logged as unlogged', async () => {
    for (const [k, sim] of sims.entries()) if ((k + 1) % 4 === 1) await logRestocks(sim)
    clock = NOW + 60_000
    expect((await inject_('GET', '/supplies', as.viewer)).statusCode).toBe(200)
    let superseded = 0
    for (const [k, sim] of sims.entries()) {
      const res = await inject_('GET', `/stations/${sim.id}/supplies/restocks?from=${DAYS[0]}&to=${addDays(MONDAY, 2)}`, as.viewer)
      const rows = (res.json() as { restocks: Restock[] }).restocks
      const counted = rows.filter((r) => r.supersededBy === null)
      const truth = sim.shelf.restocks.filter((r) => r.ms < NOW)
      expect(counted.map((r) => [r.item, Date.parse(r.at), r.quantity]).sort(), sim.id).toEqual(truth.map((r) => [r.item, r.ms, r.quantity]).sort())
      expect(new Set(counted.map((r) => r.kind)), sim.id).toEqual(new Set(truth.length === 0 ? [] : [(k + 1) % 2 === 1 ? 'logged' : 'sensor']))
      superseded += rows.length - counted.length
    }
    expect(superseded).toBeGreaterThan(0)
    expect(sims.reduce((n, s) => n + s.shelf.restocks.filter((r) => r.ms < NOW).length, 0)).toBeGreaterThan(20)
  })

  it('an unlogged sensor jump resets the forecast', async () => {
    const sim = sims[1]!
    const before = items.find((f) => f.stationId === sim.id && f.item === 'bottled-water')!
    await store([{ station: sim.id, event: { channel: 'supply', payload: { device: `${sim.id}-shelf`, ts: NOW + 10 * 60_000, seq: 999_999, item: 'bottled-water', quantity: 300, capacity: 300 } } }])
    clock = NOW + 20 * 60_000
    const res = await inject_('GET', `/stations/${sim.id}/supplies`, as.viewer)
    const after = (res.json() as { items: ItemForecast[] }).items.find((f) => f.item === 'bottled-water')!
    expect(after.level).toBe(300)
    expect(after.timeToEmptyHours!).toBeGreaterThan(before.timeToEmptyHours!)
    const rows = (await inject_('GET', `/stations/${sim.id}/supplies/restocks?from=${addDays(MONDAY, 2)}&to=${addDays(MONDAY, 2)}`, as.viewer)).json() as { restocks: Restock[] }
    expect(rows.restocks.map((r) => [r.kind, r.quantity, r.at])).toEqual([['sensor', 300 - before.level!, new Date(NOW + 10 * 60_000).toISOString()]])
  })

  it('a station without a sensor: hand count, then a logged restock resets its forecast (district rates)', async () => {
    await registry.addStation({ id: 'sp-manual', name: '手工盘点驿站', district: '东区', timezone: TZ })
    expect((await inject_('POST', '/stations/sp-manual/supplies/items/bottled-water', as.admin, { nameZh: '瓶装水', nameEn: 'Bottled water', capacity: 300, threshold: 80 })).statusCode).toBe(200)
    expect((await inject_('POST', '/stations/sp-manual/supplies/counts', as.operator, { item: 'bottled-water', quantity: 40, at: new Date(clock).toISOString() })).statusCode).toBe(201)
    const get = async () => ((await inject_('GET', '/stations/sp-manual/supplies', as.viewer)).json() as { items: ItemForecast[] }).items[0]!
    const counted = await get()
    expect(counted).toMatchObject({ level: 40, levelSource: 'manual', rateSource: 'district' })
    expect(counted.timeToEmptyHours).toBeGreaterThan(0)
    expect((await inject_('POST', '/stations/sp-manual/supplies/restocks', as.viewer, { item: 'bottled-water', quantity: 100, source: 'purchase' })).statusCode).toBe(403)
    clock += 60_000
    const res = await inject_('POST', '/stations/sp-manual/supplies/restocks', as.operator, { item: 'bottled-water', quantity: 100, source: 'purchase', at: new Date(clock).toISOString() })
    expect(res.statusCode, res.body).toBe(201)
    const restocked = await get()
    expect(restocked.level).toBeGreaterThanOrEqual(139)
    expect(restocked.timeToEmptyHours!).toBeGreaterThan(counted.timeToEmptyHours!)
    const audit = (await registry.audit.list({ limit: 10, target: 'station:sp-manual' })).map((e) => e.action)
    expect(audit).toEqual(['supply.restock', 'supply.count', 'supply.item.create'])
  })
})

// The level a forecast starts from, with restocks after the last reading or hand count: each
// restock is in it exactly once, whether the shelf has a sensor, a hand count, or no rate at all.
describe('supplies forecast: the level after a restock', () => {
  const HOUR = 3_600_000
  const level = async (station: string, item: string) =>
    ((await inject_('GET', `/stations/${station}/supplies`, as.viewer)).json() as { items: ItemForecast[] }).items.find((f) => f.item === item)!
  const restock = async (station: string, item: string, quantity: number, at: number) => {
    const res = await inject_('POST', `/stations/${station}/supplies/restocks`, as.operator, { item, quantity, source: 'purchase', at: new Date(at).toISOString() })
    expect(res.statusCode, res.body).toBe(201)
  }

  it('a hand count then a logged restock: count + restock − expected use since the count (the restock once)', async () => {
    clock = NOW + 4 * HOUR
    await registry.addStation({ id: 'sp-manual-2', name: '手工盘点驿站 2', district: '东区', timezone: TZ })
    expect((await inject_('POST', '/stations/sp-manual-2/supplies/items/bottled-water', as.admin, { nameZh: '瓶装水', nameEn: 'Bottled water', capacity: 300, threshold: 80 })).statusCode).toBe(200)
    expect((await inject_('POST', '/stations/sp-manual-2/supplies/counts', as.operator, { item: 'bottled-water', quantity: 120, at: new Date(clock).toISOString() })).statusCode).toBe(201)
    clock += 6 * HOUR
    const without = await level('sp-manual-2', 'bottled-water')
    expect(without).toMatchObject({ levelSource: 'manual', rateSource: 'district' })
    expect(without.level!).toBeLessThan(120) // expected use since the count is taken off
    await restock('sp-manual-2', 'bottled-water', 100, clock - 3 * HOUR)
    const withRestock = await level('sp-manual-2', 'bottled-water')
    expect(Math.abs(withRestock.level! - (without.level! + 100))).toBeLessThanOrEqual(1)
    expect(withRestock.timeToEmptyHours!).toBeGreaterThan(without.timeToEmptyHours!)
  })

  it('an item without any consumption rate: the last hand count plus the restocks logged since', async () => {
    await registry.addStation({ id: 'sp-lone', name: '无区驿站', district: '', timezone: TZ })
    expect((await inject_('POST', '/stations/sp-lone/supplies/items/raincoats', as.admin, { nameZh: '雨衣', nameEn: 'Raincoats', capacity: 60, threshold: 10 })).statusCode).toBe(200)
    expect((await inject_('POST', '/stations/sp-lone/supplies/counts', as.operator, { item: 'raincoats', quantity: 5, at: new Date(clock - 2 * HOUR).toISOString() })).statusCode).toBe(201)
    await restock('sp-lone', 'raincoats', 40, clock - 3 * HOUR) // before the count: already in it
    await restock('sp-lone', 'raincoats', 50, clock - HOUR)
    expect(await level('sp-lone', 'raincoats')).toMatchObject({ level: 55, percent: 91.7, levelSource: 'manual', rateSource: 'none', timeToEmptyHours: null })
  })

  it('a logged restock matched to a sensor jump is not added again while the sensor is silent', async () => {
    const sim = sims[3]!
    clock = NOW + 4 * HOUR
    const before = await level(sim.id, 'wet-wipes')
    const jumpAt = NOW + 3 * HOUR
    await store([{ station: sim.id, event: { channel: 'supply', payload: { device: `${sim.id}-shelf`, ts: jumpAt, seq: 999_998, item: 'wet-wipes', quantity: 100, capacity: 100 } } }])
    // Logged half an hour after the jump the sensor reported, then the sensor goes quiet (> 2 h).
    await restock(sim.id, 'wet-wipes', 100 - before.level!, jumpAt + HOUR / 2)
    clock = jumpAt + 5 * HOUR
    const after = await level(sim.id, 'wet-wipes')
    expect(after.levelSource).toBe('sensor')
    expect(after.level!).toBeLessThanOrEqual(100)
    expect(after.level!).toBeGreaterThan(before.level!)
    const counted = ((await inject_('GET', `/stations/${sim.id}/supplies/restocks?from=${addDays(MONDAY, 2)}&to=${addDays(MONDAY, 2)}`, as.viewer)).json() as { restocks: Restock[] })
      .restocks.filter((r) => r.item === 'wet-wipes' && r.supersededBy === null)
    expect(counted.map((r) => [r.kind, r.quantity])).toEqual([['logged', 100 - before.level!]])
  })
})
