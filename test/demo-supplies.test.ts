// The demo fleet has supplies data for the dashboard: provisionDemoFleet gives each station the
// catalog of the items the simulator's shelf publishes (same shelf sizes, thresholds, prices,
// weather drivers) and a donor's water delivery, once; and one simulated day of a demo station,
// written through ingest's mapping into a real influxd, gives every item a sensor level, a
// consumption rate, a forecast and the staff's restock rounds as unlogged restocks.
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { AnyEvent } from '../contract/index.ts'
import { buildApp, type App } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createInfluxWrite } from '../ingest/influx-write.ts'
import { eventToLine } from '../ingest/to-line.ts'
import { ensureDatabase } from '../platform/influx.ts'
import { addDays, localDate, localMidnightUtc } from '../platform/local-day.ts'
import { createLogger } from '../platform/logger.ts'
import type { Registry } from '../registry/open-registry.ts'
import { DEMO_STATIONS, provisionDemoFleet } from '../scripts/demo-fleet.ts'
import { SHELF_CAPACITY, SUPPLY_ITEMS } from '../simulators/amenities-model.ts'
import { dayEvents } from '../simulators/day-events.ts'
import { planDay } from '../simulators/day-model.ts'
import type { DayWeather } from '../simulators/weather.ts'
import type { ItemForecast, Restock } from '../supplies/schemas.ts'
import { apiTokens, type ApiTokens } from './support/api-tokens.ts'
import { openTestRegistry } from './support/test-registry.ts'

const HOT: DayWeather = { condition: 'clear', meanC: 31, maxC: 35, humidityDelta: 0, smog: 1, visitFactor: 1, dwellFactor: 1 }
let registry: Registry
let app: App
let as: ApiTokens
let db: string
let influx: ReturnType<typeof createInfluxClient>
let dataDir: string
const first = DEMO_STATIONS[0]!

beforeAll(async () => {
  db = `demosup_${randomBytes(4).toString('hex')}`
  influx = createInfluxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: db })
  await ensureDatabase(influx, db)
  registry = await openTestRegistry()
  dataDir = mkdtempSync(join(tmpdir(), 'demo-supplies-'))
})

afterAll(async () => {
  await app?.close()
  await influx?.dropDatabase(db).catch(() => {})
  registry?.close()
})

describe('demo fleet supplies', () => {
  it('every demo station gets the simulator shelf\'s catalog and a donor delivery, once', async () => {
    await provisionDemoFleet(registry, dataDir)
    await provisionDemoFleet(registry, dataDir)
    for (const s of DEMO_STATIONS) {
      const items = await registry.supplies.items(s.id)
      expect(items.map((i) => [i.item, i.capacity]).sort()).toEqual(SUPPLY_ITEMS.map((i) => [i, SHELF_CAPACITY[i]]).sort())
      for (const i of items) {
        expect(i.threshold).toBeGreaterThan(0)
        expect(i.threshold).toBeLessThan(i.capacity!)
        expect(i.priceCents).toBeGreaterThan(0)
      }
      expect(await registry.supplies.deliveries(s.id)).toHaveLength(1)
      expect((await registry.audit.list({ limit: 50, target: `station:${s.id}` })).filter((e) => e.action.startsWith('supply.'))).toHaveLength(SUPPLY_ITEMS.length + 1)
    }
  })

  it('a simulated day gives each item a sensor level, a rate, a forecast and unlogged restock rounds', async () => {
    const station = (await registry.getStation(first.id))!
    const date = addDays(localDate(Date.now(), station.timezone), -3)
    const now = localMidnightUtc(addDays(date, 1), station.timezone).getTime()
    app = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: async () => ({ ok: true }), broker: async () => ({ ok: true }) }, supplies: { now: () => now, maxAgeMs: 0 } })
    await app.ready()
    as = await apiTokens(registry)
    const plan = planDay({ stationId: first.id, seed: `demo-${first.id}`, date, timeZone: station.timezone, busyness: first.busyness, capacity: station.capacity, workerPool: [], weather: HOT })
    const events: AnyEvent[] = [...dayEvents(plan, { door: { deviceId: `${first.id}-door`, seq: 0 }, sensors: { deviceId: `${first.id}-sensors`, seq: 0 }, shelf: { deviceId: `${first.id}-shelf`, seq: 0 } })]
      .filter((e) => e.channel === 'door' || e.channel === 'supply')
    expect(events.filter((e) => e.channel === 'supply').length).toBeGreaterThan(100)
    await createInfluxWrite({ url: inject('influxUrl'), database: db, timeoutMs: 30_000 })(events.map((e) => eventToLine(first.id, e)).join('\n'))

    const res = await app.inject({ method: 'GET', url: `/stations/${first.id}/supplies?horizon=48`, headers: as.viewer })
    expect(res.statusCode, res.body).toBe(200)
    const items = (res.json() as { items: Array<ItemForecast & { nameZh: string | null }> }).items
    expect(items.map((i) => i.item).sort()).toEqual([...SUPPLY_ITEMS].sort())
    for (const i of items) {
      const last = plan.amenities.supply.filter((r) => r.item === i.item).at(-1)!
      expect(i, i.item).toMatchObject({ levelSource: 'sensor', level: last.quantity, capacity: SHELF_CAPACITY[i.item as keyof typeof SHELF_CAPACITY], rateSource: 'station' })
      expect(i.nameZh).not.toBeNull()
    }
    const water = items.find((i) => i.item === 'bottled-water')!
    expect(water.perVisit!).toBeGreaterThan(0.1)
    expect(water.timeToEmptyHours).not.toBeNull()
    const restocks = (await app.inject({ method: 'GET', url: `/stations/${first.id}/supplies/restocks?from=${date}&to=${date}`, headers: as.viewer })).json() as { restocks: Restock[] }
    const rounds = plan.amenities.supply.filter((r) => r.cause === 'restock')
    expect(rounds.length).toBeGreaterThan(0)
    // Readings at the same instant are published 1 ms apart (simulators/day-events.ts): to the second.
    expect(restocks.restocks.filter((r) => r.kind === 'sensor').map((r) => [r.item, Math.round(Date.parse(r.at) / 1000)]).sort())
      .toEqual(rounds.map((r) => [r.item, Math.round(r.ms / 1000)]).sort())
  })
})
