// The monthly supplies report through app.inject on a real influxd: a sensor station (东区), a
// hand-counted one and a third (西区) in a month two months back, with known readings, counts
// and restocks (logged, unlogged sensor jumps, one sensor jump superseded by its logged restock,
// one restock the day before the month). Checks consumed, restocked by source, donors with
// figures, money from unit prices, the fleet's districts and donors across stations, district
// scope, and the CSV and XLSX (read back with openpyxl) in zh-CN and en.
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildApp, type App } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createInfluxWrite } from '../ingest/influx-write.ts'
import { eventToLine } from '../ingest/to-line.ts'
import { ensureDatabase } from '../platform/influx.ts'
import { addDays, localDate, localMidnightUtc } from '../platform/local-day.ts'
import { createLogger } from '../platform/logger.ts'
import type { Registry } from '../registry/open-registry.ts'
import { createSupplyAdmin } from '../supplies/supply-admin.ts'
import type { FleetSupplyJson, StationSupplyJson } from '../supplies/report/supply-report-json.ts'
import { apiTokens, bearer, mintToken, type ApiTokens } from './support/api-tokens.ts'
import { openTestRegistry } from './support/test-registry.ts'

const TZ = 'Asia/Shanghai'
const MONTH = addDays(localDate(Date.now(), TZ), -62).slice(0, 7)
const FIRST = `${MONTH}-01`
const HOUR = 3_600_000
/** Local day `d` of the month (1-based) at local hour `h`, as epoch ms. */
const at = (d: number, h: number) => localMidnightUtc(addDays(FIRST, d - 1), TZ).getTime() + h * HOUR
const iso = (t: number) => new Date(t).toISOString()
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import openpyxl']).status === 0)
type Sheet = { name: string, rows: Array<Array<{ v: unknown, fmt: string }>> }
function readXlsx (data: Buffer): Sheet[] {
  if (!python) throw new Error('openpyxl is needed to check the XLSX: apt-get install python3-openpyxl')
  const file = join(mkdtempSync(join(tmpdir(), 'supplies-xlsx-')), 'r.xlsx')
  writeFileSync(file, data)
  return JSON.parse(execFileSync(python, [join(import.meta.dirname, 'support', 'read-xlsx.py'), file]).toString())
}

let registry: Registry
let app: App
let as: ApiTokens
let db: string
let influx: ReturnType<typeof createInfluxClient>
const get = (url: string, headers: object = as.viewer) => app.inject({ method: 'GET', url, headers: headers as Record<string, string> })
const post = async (url: string, headers: object, payload: object, status: number) => {
  const res = await app.inject({ method: 'POST', url, headers: headers as Record<string, string>, payload })
  expect(res.statusCode, res.body).toBe(status)
}

beforeAll(async () => {
  db = `supreport_${randomBytes(4).toString('hex')}`
  const url = inject('influxUrl')
  influx = createInfluxClient({ INFLUX_URL: url, INFLUX_DB: db })
  await ensureDatabase(influx, db)
  registry = await openTestRegistry()
  app = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: async () => ({ ok: true }), broker: async () => ({ ok: true }) }, supplies: { now: () => at(40, 0), maxAgeMs: 0 } })
  await app.ready()
  as = await apiTokens(registry)
  await registry.addStation({ id: 'rp-a', name: '东区驿站', district: '东区', timezone: TZ })
  await registry.addStation({ id: 'rp-b', name: '西区手工驿站', district: '西区', timezone: TZ })
  await registry.addStation({ id: 'rp-c', name: '西区驿站', district: '西区', timezone: TZ })
  const item = (station: string, slug: string, nameZh: string, nameEn: string, priceCents: number | null) =>
    post(`/stations/${station}/supplies/items/${slug}`, as.admin, { nameZh, nameEn, capacity: 300, threshold: 50, priceCents }, 200)
  await item('rp-a', 'bottled-water', '瓶装水', 'Bottled water', 150)
  await item('rp-a', 'instant-noodles', '方便面', 'Instant noodles', null)
  await item('rp-b', 'raincoats', '雨衣', 'Raincoats', 1000)
  await item('rp-c', 'bottled-water', '瓶装水', 'Bottled water', 150)
  // Station A's shelf sensor: water 200 the evening before the month, down 100 in steps across
  // a restock of 150; noodles down 30 across a jump of 30 nobody logged; a reading after the month.
  const water = [[0, 20, 200], [2, 9, 180], [3, 9, 150], [3, 15, 300], [6, 9, 260], [8, 9, 250]] as const
  const noodles = [[2, 9, 100], [3, 9, 90], [4, 9, 120], [5, 9, 100]] as const
  const lines = [
    ...water.map(([d, h, q], k) => ({ item: 'bottled-water', ms: d === 0 ? at(1, 0) - 4 * HOUR : at(d, h), q, k })),
    ...noodles.map(([d, h, q], k) => ({ item: 'instant-noodles', ms: at(d, h), q, k: 100 + k })),
    { item: 'bottled-water', ms: at(35, 9), q: 10, k: 200 }
  ].map((r) => eventToLine('rp-a', { channel: 'supply', payload: { device: 'rp-a-shelf', ts: r.ms, seq: r.k, item: r.item, quantity: r.q, capacity: 300 } }))
  await createInfluxWrite({ url, database: db, timeoutMs: 30_000 })(lines.join('\n'))
  // The model saw both jumps first; the water one is then logged by the operator (supersedes it).
  const model = createSupplyAdmin(registry)
  await model.recordSensorRestock('rp-a', 'bottled-water', 150, iso(at(3, 15)))
  await model.recordSensorRestock('rp-a', 'instant-noodles', 30, iso(at(4, 9)))
  await post('/stations/rp-a/supplies/restocks', as.operator, { item: 'bottled-water', quantity: 150, source: 'donation', donor: '合肥饮用水公司', at: iso(at(3, 16)) }, 201)
  await post('/stations/rp-a/supplies/restocks', as.operator, { item: 'bottled-water', quantity: 40, source: 'purchase', at: iso(at(10, 10)) }, 201)
  await post('/stations/rp-a/supplies/restocks', as.operator, { item: 'bottled-water', quantity: 999, source: 'purchase', at: iso(at(1, 0) - HOUR) }, 201)
  // Station B: hand counts 50, 45, 30 with a donation of 20 and a purchase of 10 in between.
  for (const [d, q] of [[2, 50], [10, 45], [20, 30]] as const) await post('/stations/rp-b/supplies/counts', as.operator, { item: 'raincoats', quantity: q, at: iso(at(d, 12)) }, 201)
  await post('/stations/rp-b/supplies/restocks', as.operator, { item: 'raincoats', quantity: 20, source: 'donation', donor: '安徽雨具厂', at: iso(at(5, 12)) }, 201)
  await post('/stations/rp-b/supplies/restocks', as.operator, { item: 'raincoats', quantity: 10, source: 'purchase', at: iso(at(12, 12)) }, 201)
  await post('/stations/rp-c/supplies/restocks', as.operator, { item: 'bottled-water', quantity: 60, source: 'donation', donor: '合肥饮用水公司', at: iso(at(7, 12)) }, 201)
}, 60_000)

afterAll(async () => {
  await app?.close()
  await influx?.dropDatabase(db).catch(() => {})
  registry?.close()
})

describe('monthly supplies report', () => {
  it('a station: consumed from sensor steps, restocked by source, each restock once, donors with figures, money from prices', async () => {
    const res = await get(`/stations/rp-a/reports/${MONTH}/supplies`)
    expect(res.statusCode, res.body).toBe(200)
    const r = res.json() as StationSupplyJson
    expect(r.items.find((i) => i.item === 'bottled-water')).toMatchObject({
      consumedFrom: 'sensor', consumed: 100, restocked: 190, purchased: 40, donated: 150, unlogged: 0,
      unitPrice: 1.5, purchaseCost: 60, donatedValue: 225, consumedValue: 150
    })
    expect(r.items.find((i) => i.item === 'instant-noodles')).toMatchObject({ consumed: 30, restocked: 30, purchased: 0, donated: 0, unlogged: 30, purchaseCost: null, consumedValue: null })
    expect(r.donors).toEqual([{ donor: '合肥饮用水公司', item: 'bottled-water', name: '瓶装水 / Bottled water', quantity: 150, value: 225, stations: 1 }])
    expect(r.summary).toMatchObject({ consumed: 130, restocked: 220, purchased: 40, donated: 150, unlogged: 30, purchaseCost: 60, donatedValue: 225, donors: 1 })
  })

  it('a hand-counted station: consumed between counts with the restocks in between', async () => {
    const r = (await get(`/stations/rp-b/reports/${MONTH}/supplies`)).json() as StationSupplyJson
    expect(r.items).toEqual([expect.objectContaining({ item: 'raincoats', consumedFrom: 'counts', consumed: 50, restocked: 30, purchased: 10, donated: 20, purchaseCost: 100, donatedValue: 200, consumedValue: 500 })])
    expect(r.donors.map((d) => [d.donor, d.quantity, d.value])).toEqual([['安徽雨具厂', 20, 200]])
  })

  it('the fleet: stations, districts, items, and each donor over its stations', async () => {
    const r = (await get(`/fleet/reports/${MONTH}/supplies`)).json() as FleetSupplyJson
    expect(r.stations.map((s) => [s.stationId, s.consumed, s.restocked])).toEqual([['rp-a', 130, 220], ['rp-b', 50, 30], ['rp-c', null, 60]])
    expect(r.districts.map((d) => [d.district, d.stations, d.consumed, d.restocked, d.donated, d.purchaseCost])).toEqual([['东区', 1, 130, 220, 150, 60], ['西区', 2, 50, 90, 80, 100]])
    expect(r.items.find((i) => i.item === 'bottled-water')).toMatchObject({ stations: 2, restocked: 250, donated: 210 })
    expect(r.donors.map((d) => [d.donor, d.item, d.stations, d.quantity, d.value])).toEqual([['合肥饮用水公司', 'bottled-water', 2, 210, 315], ['安徽雨具厂', 'raincoats', 1, 20, 200]])
    expect(r.summary).toMatchObject({ stations: 3, consumed: 180, restocked: 310, donors: 2 })
  })

  it('scope: a district token sees its district only; other stations are a 404', async () => {
    const east = bearer(await mintToken(registry, 'viewer', { scope: { kind: 'district', district: '东区' } }))
    expect((await get(`/stations/rp-b/reports/${MONTH}/supplies`, east)).statusCode).toBe(404)
    const r = (await get(`/fleet/reports/${MONTH}/supplies`, east)).json() as FleetSupplyJson
    expect(r.stations.map((s) => s.stationId)).toEqual(['rp-a'])
    expect(r.donors.map((d) => [d.donor, d.quantity])).toEqual([['合肥饮用水公司', 150]])
    expect((await get(`/fleet/reports/${MONTH}/supplies?district=西区`, east)).statusCode).toBe(404)
    expect((await get(`/stations/rp-a/reports/${MONTH}/supplies`, {})).statusCode).toBe(401)
  })

  it('CSV with a title block in zh-CN or en; 406 when Accept allows no format', async () => {
    const zh = await get(`/stations/rp-a/reports/${MONTH}/supplies`, { ...as.viewer, accept: 'text/csv' })
    expect(zh.headers['content-type']).toMatch(/^text\/csv/)
    expect(zh.body.startsWith('\ufeff驿站物资月报\r\n')).toBe(true)
    expect(zh.body).toContain('物资编号,名称,单位,消耗（件）,补货（件）,采购（件）,捐赠（件）,未登记补货（件）,消耗依据,单价（元）,采购金额（元）,捐赠价值（元）,消耗价值（元）\r\n')
    expect(zh.body).toContain('bottled-water,瓶装水 / Bottled water,pcs,100,190,40,150,0,货架传感器,1.50,60.00,225.00,150.00\r\n')
    const en = await get(`/fleet/reports/${MONTH}/supplies?format=csv&lang=en`)
    expect(en.body).toContain('Station ID,Name,District,Consumed (units),Restocked (units)')
    expect(en.body).toContain('rp-b,西区手工驿站,西区,50,30,10,20,0,100.00,200.00,500.00\r\n')
    expect((await get(`/fleet/reports/${MONTH}/supplies`, { ...as.viewer, accept: 'image/png' })).statusCode).toBe(406)
  })

  it('XLSX read back by openpyxl: a sheet per table, units as integers and money as 0.00', async () => {
    const res = await get(`/fleet/reports/${MONTH}/supplies?format=xlsx&lang=en`)
    expect(res.headers['content-disposition']).toBe(`attachment; filename="waystation-fleet-${MONTH}-supplies.xlsx"`)
    const sheets = readXlsx(res.rawPayload)
    expect(sheets.map((s) => s.name)).toEqual(['Stations', 'Districts', 'Items', 'Donors', 'Summary'])
    const donors = sheets[3]!.rows.map((r) => r.map((c) => c.v))
    const head = donors.findIndex((r) => r[0] === 'Donor')
    expect(donors[head]).toEqual(['Donor', 'Item', 'Name', 'Stations', 'Quantity (units)', 'Value (CNY)'])
    expect(donors[head + 1]).toEqual(['合肥饮用水公司', 'bottled-water', '瓶装水 / Bottled water', 2, 210, 315])
    expect(sheets[3]!.rows[head + 1]!.map((c) => c.fmt).slice(3)).toEqual(['#,##0', '#,##0', '0.00'])
    const zh = readXlsx((await get(`/stations/rp-b/reports/${MONTH}/supplies?format=xlsx`, { ...as.viewer, 'accept-language': 'zh-CN' })).rawPayload)
    expect(zh.map((s) => s.name)).toEqual(['物资', '捐赠方', '汇总'])
    expect(zh[0]!.rows[0]![0]!.v).toBe('驿站物资月报')
  })
})
