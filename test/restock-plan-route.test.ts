// GET /restock-plan through app.inject on a 30-station fixture with the real supply model and
// forecast (hand counts on a real influxd database without history: no consumption rate, so
// "within the horizon" comes from the level now here; the rate-driven case is checked on the
// planner's own input below). JSON, CSV and the run sheet; scope; viewer reads, operator acts.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildApp, type App } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { ensureDatabase } from '../platform/influx.ts'
import { createLogger } from '../platform/logger.ts'
import type { Registry } from '../registry/open-registry.ts'
import { createRng } from '../simulators/random.ts'
import type { ItemForecast } from '../supplies/schemas.ts'
import type { RestockPlan } from '../supplies/plan/plan-schema.ts'
import { selectItems } from '../supplies/plan/restock-plan.ts'
import { RUN_SHEET_CSP } from '../supplies/plan/run-sheet.ts'
import { apiTokens, bearer, mintToken, type ApiTokens } from './support/api-tokens.ts'
import { openTestRegistry } from './support/test-registry.ts'

let registry: Registry
let app: App
let as: ApiTokens
const clock = Date.now() - 3_600_000
const rng = createRng('restock-plan-route')
const ITEMS = [
  { item: 'bottled-water', nameZh: '瓶装水', nameEn: 'Bottled water', capacity: 48, threshold: 12 },
  { item: 'instant-noodles', nameZh: '方便面', nameEn: 'Instant noodles', capacity: 30, threshold: 8 }
]
const get = (url: string, headers: object) => app.inject({ method: 'GET', url, headers: headers as Record<string, string> })

beforeAll(async () => {
  const db = `restock_${randomBytes(4).toString('hex')}`
  const influx = createInfluxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: db })
  await ensureDatabase(influx, db)
  registry = await openTestRegistry()
  app = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: async () => ({ ok: true }), broker: async () => ({ ok: true }) }, supplies: { now: () => clock, maxAgeMs: 0 } })
  await app.ready()
  as = await apiTokens(registry)
  for (let i = 0; i < 30; i++) {
    const id = `rp-${String(i).padStart(2, '0')}`
    const geo = i === 29 ? {} : { lat: 22.5 + rng.uniform(0, 0.1), lon: 114 + rng.uniform(0, 0.1) }
    await registry.addStation({ id, name: `测试驿站 ${i}`, district: i < 20 ? '福田区' : '南山区', timezone: 'Asia/Shanghai', ...geo })
    for (const it of ITEMS) {
      const { item, ...body } = it
      expect((await app.inject({ method: 'POST', url: `/stations/${id}/supplies/items/${item}`, headers: as.admin, payload: body })).statusCode).toBe(200)
      const quantity = rng.int(0, it.capacity)
      expect((await app.inject({ method: 'POST', url: `/stations/${id}/supplies/counts`, headers: as.operator, payload: { item, quantity, at: new Date(clock - 60_000).toISOString() } })).statusCode).toBe(201)
    }
  }
})
afterAll(async () => { await app?.close() })

describe('GET /restock-plan', () => {
  it('plans every station-item the forecast puts at or below its threshold within the horizon, and none other', async () => {
    const res = await get('/restock-plan?depot=22.55,114.05&horizon=24h&capacity=200', as.viewer)
    expect(res.statusCode, res.body).toBe(200)
    const plan = res.json() as RestockPlan
    const forecast = ((await get('/supplies?horizon=24', as.viewer)).json() as { items: ItemForecast[] }).items
    const due = forecast.filter((f) => f.level! <= f.threshold! || (f.timeToThresholdHours !== null && f.timeToThresholdHours <= 24))
    expect(due.length).toBeGreaterThan(5)
    expect(due.length).toBeLessThan(forecast.length)
    const planned = [...plan.trips.flatMap((t) => t.stops.flatMap((s) => s.items.map((i) => ({ s: s.stationId, i }))), ), ...plan.unroutable.flatMap((u) => u.items.map((i) => ({ s: u.stationId, i })))]
    expect(planned.map((p) => `${p.s}/${p.i.item}`).sort()).toEqual(due.map((f) => `${f.stationId}/${f.item}`).sort())
    for (const p of planned) {
      const f = forecast.find((x) => x.stationId === p.s && x.item === p.i.item)!
      expect(p.i.quantity).toBe(f.capacity! - f.level!)
    }
    for (const t of plan.trips) expect(t.load).toBeLessThanOrEqual(200)
    expect(plan.unroutable.every((u) => u.stationId === 'rp-29' && u.reason === 'no_coordinates')).toBe(true)
  })

  it('selection on the forecast horizon: an item reaching its threshold at 23 h is in a 24 h plan, one at 25 h is not', () => {
    const base = { stationId: 'x', nameZh: '', nameEn: '', unit: '', level: 20, capacity: 48, threshold: 12, timeToEmptyHours: 40, band: { low: null, high: null } }
    const sel = selectItems([{ ...base, item: 'a', timeToThresholdHours: 23 }, { ...base, item: 'b', timeToThresholdHours: 25 }, { ...base, item: 'c', timeToThresholdHours: null }, { ...base, item: 'd', level: 0, timeToThresholdHours: 0, timeToEmptyHours: 0 }], 24, 6)
    expect(sel.map((i) => [i.item, i.quantity, i.priority])).toEqual([['a', 28, 'due'], ['d', 48, 'empty']])
  })

  it('CSV (BOM, zh or en headings) and the A4 run sheet under its own CSP', async () => {
    const csv = await get('/restock-plan?depot=rp-00&format=csv', as.viewer)
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    expect(csv.body.startsWith('\ufeff趟次,顺序,驿站编号')).toBe(true)
    const en = await get('/restock-plan?depot=rp-00', { ...as.viewer, accept: 'text/csv', 'accept-language': 'en-GB,en;q=0.9' })
    expect(en.body.startsWith('\ufeffTrip,Stop,Station id')).toBe(true)
    const html = await get('/restock-plan?depot=rp-00&format=html&capacity=60', as.viewer)
    expect(html.headers['content-type']).toMatch(/^text\/html/)
    expect(html.headers['content-security-policy']).toBe(RUN_SHEET_CSP)
    expect(html.body).toMatch(/@page \{ size: A4/)
    expect(html.body).toMatch(/@media print/)
    expect(html.body).not.toMatch(/<script/i)
    expect(html.body).toContain('补货路线单')
    expect(html.body).toContain('无坐标')
  })

  it('a district-scoped token plans its district only; another district or depot outside its scope is a 404', async () => {
    const scoped = bearer(await mintToken(registry, 'viewer', { scope: { kind: 'district', district: '南山区' } }))
    const plan = (await get('/restock-plan?depot=22.55,114.05', scoped)).json() as RestockPlan
    const ids = [...plan.trips.flatMap((t) => t.stops.map((s) => s.stationId)), ...plan.unroutable.map((u) => u.stationId)]
    expect(ids.length).toBeGreaterThan(0)
    expect(ids.every((id) => Number(id.slice(3)) >= 20)).toBe(true)
    expect((await get('/restock-plan?depot=22.55,114.05&district=福田区', scoped)).statusCode).toBe(404)
    expect((await get('/restock-plan?depot=rp-00', scoped)).statusCode).toBe(404)
    expect((await get('/restock-plan?depot=nowhere,1', as.viewer)).statusCode).toBe(404)
    expect((await get('/restock-plan?depot=1,1&horizon=forever', as.viewer)).statusCode).toBe(400)
  })

  it('acting on the run sheet: viewer 403, operator records the restock of a planned stop, audited', async () => {
    const plan = (await get('/restock-plan?depot=22.55,114.05', as.viewer)).json() as RestockPlan
    const stop = plan.trips[0]!.stops[0]!
    const item = stop.items[0]!
    const body = { item: item.item, quantity: item.quantity, source: 'purchase', at: new Date(clock).toISOString() }
    expect((await app.inject({ method: 'POST', url: `/stations/${stop.stationId}/supplies/restocks`, headers: as.viewer, payload: body })).statusCode).toBe(403)
    const ok = await app.inject({ method: 'POST', url: `/stations/${stop.stationId}/supplies/restocks`, headers: as.operator, payload: body })
    expect(ok.statusCode, ok.body).toBe(201)
    expect((await registry.audit.list({ limit: 5, target: `station:${stop.stationId}` })).map((e) => e.action)[0]).toBe('supply.restock')
    const logged = (await get(`/stations/${stop.stationId}/supplies/restocks?from=${new Date(clock - 86_400_000).toISOString().slice(0, 10)}&to=${new Date(clock + 86_400_000).toISOString().slice(0, 10)}`, as.viewer)).json() as { restocks: Array<{ item: string, quantity: number }> }
    expect(logged.restocks).toMatchObject([{ item: item.item, quantity: item.quantity }])
  })
})
