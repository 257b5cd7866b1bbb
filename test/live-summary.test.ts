// GET /live/summary and /live/stream?view=summary (what the fleet view draws), and HTTP
// compression of JSON answers while the SSE stream stays uncompressed: real stack, real HTTP.
import { request } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { MqttClient } from 'mqtt'
import { fromColumns } from '../api/live/columns.ts'
import { FleetLiveColumns, type FleetLive, type FleetLiveSummary, type StationLiveSummary } from '../api/live/schemas.ts'
import { connectDevice, publishEvent, worker } from './support/device.ts'
import { openSse, type SseEvent } from './support/sse-client.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const A = 'gz-tianhe-001'
const B = 'gz-yuexiu-002'
const HA = `${A}-hub`
let stack: TestStack
let hub: MqttClient

beforeAll(async () => {
  stack = await startTestStack({ LIVE_HEARTBEAT_S: '1' })
  const a = await stack.addStation({ id: A, name: '天河区驿站 1', district: 'tianhe', timezone: 'Asia/Shanghai', capacity: 8, lat: 23.13, lon: 113.33 }, [HA])
  await stack.addStation({ id: B, name: '越秀区驿站 2', district: 'yuexiu', timezone: 'Asia/Shanghai', capacity: 6 }, [`${B}-hub`])
  hub = await connectDevice(stack.mqttUrl, HA, a[HA]!)
  // The live state reads the registry every 2 s: wait for both stations (a loaded machine).
  const end = Date.now() + 30_000
  while ((await get<FleetLive>('/live')).stations.length < 2) {
    if (Date.now() > end) throw new Error('the two stations never reached /live')
    await new Promise((r) => setTimeout(r, 200))
  }
})
afterAll(async () => {
  await hub?.endAsync()
  await stack?.stop()
})

const get = async <T>(path: string) => (await (await fetch(`${stack.apiUrl}${path}`, { headers: stack.auth() })).json()) as T

test('the summary has each station of /live with only what the fleet view draws', async () => {
  const full = await get<FleetLive>('/live')
  const sum = await get<FleetLiveSummary>('/live/summary')
  expect(sum.stations.map((s) => s.stationId)).toEqual(full.stations.map((s) => s.stationId))
  expect(sum.eventId).toMatch(/^[a-z0-9]+-\d+$/)
  for (const s of sum.stations) {
    const f = full.stations.find((x) => x.stationId === s.stationId)!
    expect(s).toMatchObject({ name: f.name, district: f.district, capacity: f.capacity, lat: f.lat, lon: f.lon, state: f.state, visitsToday: f.visitsToday })
    expect(s.devices).toBe(f.devices.length)
    expect(s.devicesOnline).toBe(f.devices.filter((d) => d.online).length)
    expect(s.temperature).toBe(f.climate?.temperature ?? null)
    expect(s).not.toHaveProperty('supplies')
    expect(s).not.toHaveProperty('entriesByHourToday')
  }
  expect(JSON.stringify(sum).length).toBeLessThan(JSON.stringify(full).length)
  expect((await get<FleetLiveSummary>('/live/summary?district=yuexiu')).stations.map((s) => s.stationId)).toEqual([B])
  const doc = (await stack.app.inject({ url: '/docs/json' })).json()
  expect(doc.paths['/live/summary'].get.responses['200']).toBeDefined()
  expect(doc.paths['/live/stream'].get.parameters.map((p: { name: string }) => p.name)).toContain('view')
})

test('the summary stream resumed from eventId sends the changes since as summaries, no snapshot', async () => {
  const before = (await get<FleetLiveSummary>('/live/summary'))
  const visits = before.stations.find((s) => s.stationId === A)!.visitsToday
  const sse = await openSse(`${stack.apiUrl}/live/stream?view=summary&lastEventId=${encodeURIComponent(before.eventId)}`, stack.auth())
  await publishEvent(hub, A, 'door', { device: HA, ts: Date.now(), seq: 1, direction: 'in', method: 'face', result: 'granted', worker: worker(1) })
  const ev = await sse.waitFor((i): i is SseEvent => 'event' in i && i.event === 'station' && (JSON.parse(i.data) as StationLiveSummary).visitsToday === visits + 1, 15_000)
  const s = JSON.parse(ev.data) as StationLiveSummary
  expect(s.stationId).toBe(A)
  expect(s).not.toHaveProperty('entriesByHourToday')
  expect(sse.events().some((e) => e.event === 'snapshot')).toBe(false)
  await sse.close()

  // Without a position: a snapshot, as a FleetLiveSummary.
  const fresh = await openSse(`${stack.apiUrl}/live/stream?view=summary`, stack.auth())
  const snap = await fresh.waitFor((i): i is SseEvent => 'event' in i && i.event === 'snapshot')
  const fleet = JSON.parse(snap.data) as FleetLiveSummary
  expect(fleet.stations.map((x) => x.stationId)).toEqual([A, B])
  expect(fleet.stations[0]).not.toHaveProperty('devices.0')
  await fresh.close()
})

test('format=columns: the same stations and figures as the rows, one array per field', async () => {
  // The two answers come from two requests: retry while the live state moved in between.
  let rows: FleetLiveSummary | undefined
  let cols: FleetLiveColumns | undefined
  for (let i = 0; i < 10; i++) {
    rows = await get<FleetLiveSummary>('/live/summary')
    cols = FleetLiveColumns.parse(await get('/live/summary?format=columns'))
    if (JSON.stringify(fromColumns(cols)) === JSON.stringify(rows.stations)) break
    await new Promise((r) => setTimeout(r, 200))
  }
  expect(fromColumns(cols!)).toEqual(rows!.stations)
  expect(cols!.count).toBe(2)
  expect(cols!.columns.stationId).toEqual([A, B])
  // Repeated strings once each: a dictionary and an index per station.
  expect(cols!.columns.district.values).toEqual(['tianhe', 'yuexiu'])
  expect(cols!.columns.timezone).toEqual({ values: ['Asia/Shanghai'], codes: [0, 0] })
  expect(cols!.columns.lat).toEqual([23.13, null])
  expect(cols!.eventId).toMatch(/^[a-z0-9]+-\d+$/)
  expect(JSON.stringify(cols).length).toBeLessThan(JSON.stringify(rows).length)

  const yuexiu = FleetLiveColumns.parse(await get('/live/summary?district=yuexiu&format=columns'))
  expect(yuexiu.columns.stationId).toEqual([B])
  expect(yuexiu.columns.name).toEqual(['越秀区驿站 2'])
  const bad = await fetch(`${stack.apiUrl}/live/summary?format=objects`, { headers: stack.auth() })
  expect(bad.status).toBe(400)

  const doc = (await stack.app.inject({ url: '/docs/json' })).json()
  const op = doc.paths['/live/summary'].get
  expect(op.parameters.find((p: { name: string }) => p.name === 'format')?.schema.enum).toEqual(['rows', 'columns'])
  const ok = JSON.stringify(op.responses['200'])
  expect(ok).toContain('columns')
  expect(ok).toContain('stations')
})

test('the summary stream with format=columns: a columnar snapshot, or resumed from the columns\' eventId only the changes', async () => {
  const fresh = await openSse(`${stack.apiUrl}/live/stream?view=summary&format=columns`, stack.auth())
  const snap = await fresh.waitFor((i): i is SseEvent => 'event' in i && i.event === 'snapshot')
  const fleet = FleetLiveColumns.parse(JSON.parse(snap.data))
  expect(fleet.columns.stationId).toEqual([A, B])
  expect(fleet.eventId).toBe(snap.id)
  await fresh.close()

  const before = FleetLiveColumns.parse(await get('/live/summary?format=columns'))
  const visits = before.columns.visitsToday[before.columns.stationId.indexOf(A)]!
  const sse = await openSse(`${stack.apiUrl}/live/stream?view=summary&format=columns&lastEventId=${encodeURIComponent(before.eventId)}`, stack.auth())
  await publishEvent(hub, A, 'door', { device: HA, ts: Date.now(), seq: 2, direction: 'in', method: 'face', result: 'granted', worker: worker(2) })
  const ev = await sse.waitFor((i): i is SseEvent => 'event' in i && i.event === 'station' && (JSON.parse(i.data) as StationLiveSummary).visitsToday === visits + 1, 15_000)
  expect((JSON.parse(ev.data) as StationLiveSummary).stationId).toBe(A)
  expect(sse.events().some((e) => e.event === 'snapshot')).toBe(false)
  await sse.close()

  const full = await fetch(`${stack.apiUrl}/live/stream?format=columns`, { headers: stack.auth() })
  expect(full.status).toBe(400)
  await full.body?.cancel()
})

/** A raw GET with accept-encoding (fetch would decode it and hide the header). */
function rawGet (path: string, headers: Record<string, string>): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, first: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${stack.apiUrl}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = []
      // The stream never ends: take what came within the first event or two.
      const done = () => { res.destroy(); resolve({ status: res.statusCode!, headers: res.headers, first: Buffer.concat(chunks) }) }
      res.on('data', (c: Buffer) => { chunks.push(c); if (res.headers['content-type']?.startsWith('text/event-stream') && Buffer.concat(chunks).includes('event: snapshot')) done() })
      res.on('end', done)
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

test('JSON answers are compressed for clients that accept it; the event stream is not', async () => {
  const headers = { ...stack.auth(), 'accept-encoding': 'gzip' }
  const json = await rawGet('/live', headers)
  expect(json.status).toBe(200)
  expect(json.headers['content-encoding']).toBe('gzip')
  expect((JSON.parse(gunzipSync(json.first).toString('utf8')) as FleetLive).stations).toHaveLength(2)
  const plain = await rawGet('/live', stack.auth())
  expect(plain.headers['content-encoding']).toBeUndefined()

  const stream = await rawGet('/live/stream?view=summary', headers)
  expect(stream.status).toBe(200)
  expect(stream.headers['content-encoding']).toBeUndefined()
  expect(stream.first.toString('utf8')).toMatch(/^retry: \d+\n\nid: [a-z0-9]+-\d+\nevent: snapshot\n/)
})
