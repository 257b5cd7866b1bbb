import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, expect, inject, test } from 'vitest'
import { batchTopicFor, topicFor } from '../../contract/index.ts'
import { influxClient } from '../../platform/influx.ts'
import { openRegistry } from '../../registry/open-registry.ts'
import { hostilePayload } from '../support/hostile-payloads.ts'
import { createLoadDevice } from '../support/load-device.ts'
import { createStackProcess } from '../support/stack-process.ts'

const HOSTILE = 10_000
const WRONG_TOPICS = 100
const VALID_STATIONS = 20
let dir: string
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

test('10,000 hostile payloads mixed with valid traffic: valid stored exactly once, hostile rejected with reasons, RSS bounded, no restart', async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-hostile-'))
  const registryPath = join(dir, 'registry.sqlite')
  const registry = openRegistry(registryPath)
  await registry.addStation({ id: 'hostile-1', name: 'Hostile' })
  const hostileSecret = (await registry.addDevice('hostile-1', 'hostile-1-dev')).secret
  const valid = []
  for (let i = 0; i < VALID_STATIONS; i++) {
    const stationId = `calm-${i}`
    await registry.addStation({ id: stationId, name: `Calm ${i}` })
    valid.push({ stationId, deviceId: `${stationId}-door`, secret: (await registry.addDevice(stationId, `${stationId}-door`)).secret })
  }
  registry.close()

  const db = 'hostile'
  const stack = await createStackProcess({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: db, REGISTRY_PATH: registryPath })
  await stack.start()
  const pid = stack.pid()
  const devices = valid.map((v) => createLoadDevice({ url: stack.mqttUrl, ...v, ratePerSec: 20, baseTs: Date.UTC(2026, 4, 1) }))
  devices.forEach((d) => d.start())

  // Hostile payloads on the device's own topics: each must be acknowledged and recorded.
  const hostile = await mqtt.connectAsync(stack.mqttUrl, { clientId: 'hostile-1-dev', username: 'hostile-1-dev', password: hostileSecret, protocolVersion: 4, reconnectPeriod: 0 })
  let maxRss = 0
  const kinds = new Map<string, number>()
  for (let start = 0; start < HOSTILE; start += 200) {
    await Promise.all(Array.from({ length: Math.min(200, HOSTILE - start) }, (_, k) => {
      const h = hostilePayload(start + k)
      kinds.set(h.kind, (kinds.get(h.kind) ?? 0) + 1)
      const topic = h.batch ? batchTopicFor('hostile-1', h.channel) : topicFor('hostile-1', h.channel)
      return hostile.publishAsync(topic, h.payload, { qos: 1 })
    }))
    maxRss = Math.max(maxRss, await stack.rssBytes())
  }
  await hostile.endAsync()

  // Wrong topics (another station, $SYS, unknown channel, too deep): connection closed, nothing stored.
  const wrong = ['stations/calm-0/door', '$SYS/broker/x', 'stations/hostile-1/door/batch/x', 'stations/hostile-1/ğ', 'x/'.repeat(50) + 'y']
  for (let i = 0; i < WRONG_TOPICS; i++) {
    const c = await mqtt.connectAsync(stack.mqttUrl, { clientId: 'hostile-1-dev', username: 'hostile-1-dev', password: hostileSecret, protocolVersion: 4, reconnectPeriod: 0 })
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
    c.publish(wrong[i % wrong.length]!, JSON.stringify({ i }), { qos: 0 })
    await closed
    c.end(true)
  }

  devices.forEach((d) => d.stopProducing())
  await Promise.all(devices.map((d) => d.allAcked()))
  await Promise.all(devices.map((d) => d.end()))
  maxRss = Math.max(maxRss, await stack.rssBytes())
  expect(stack.pid()).toBe(pid)
  expect(stack.alive()).toBe(true)
  expect(stack.starts()).toBe(1)
  await stack.stop('SIGTERM')

  const influx = influxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: db })
  const rejected = await influx.query<{ count: number }>('SELECT count("reason") FROM "rejected" WHERE "station" = \'hostile-1\'')
  expect(rejected[0]!.count).toBe(HOSTILE)
  const reasons = await influx.query<{ reason: string }>('SELECT "reason" FROM "rejected" WHERE "station" = \'hostile-1\' LIMIT 10000')
  expect(reasons.every((r) => r.reason.length > 5)).toBe(true)
  expect(reasons.filter((r) => r.reason.startsWith('payload too large')).length).toBe(kinds.get('oversized'))
  const hostileData = await influx.query('SELECT * FROM "door","occupancy","environment","status","equipment","supply" WHERE "station" = \'hostile-1\'')
  expect(hostileData.length).toBe(0)

  // Valid traffic is never recorded as rejected: an event acknowledged that way (e.g. InfluxDB
  // refusing its point) would be missing from the data below, and this says why.
  const calmRejected = await influx.query<{ station: string, reason: string }>('SELECT "station", "reason" FROM "rejected" WHERE "station" != \'hostile-1\' LIMIT 20')
  expect(calmRejected.map((r) => `${r.station}: ${r.reason}`)).toEqual([])
  const rows = await influx.query<{ device: string, count: number, sum: number }>('SELECT count("seq"), sum("seq") FROM "door" WHERE "station" != \'hostile-1\' GROUP BY "device"')
  const byDevice = new Map(rows.map((r) => [r.device, r]))
  const points = await influx.query<{ device: string, seq: number }>('SELECT "seq" FROM "door" WHERE "station" != \'hostile-1\' GROUP BY "device"')
  for (const d of devices) {
    const n = d.produced()
    // Which events are missing or extra, whether each missing one was acknowledged, and how
    // often the device connected: what a failure needs to be told apart (a lost PUBACKed
    // event, a duplicate, a resend).
    const stored = points.filter((p) => p.device === d.deviceId).map((p) => p.seq)
    const have = new Set(stored)
    const missing = [...Array(n).keys()].filter((seq) => !have.has(seq)).slice(0, 20).map((seq) => `${seq}${d.acked().has(seq) ? ' (acknowledged)' : ''}`)
    expect({ device: d.deviceId, connects: d.connects(), missing, extra: stored.filter((seq) => seq >= n || !Number.isInteger(seq)), points: stored.length })
      .toMatchObject({ device: d.deviceId, missing: [], extra: [], points: n })
    expect(byDevice.get(d.deviceId), d.deviceId).toMatchObject({ count: n, sum: (n * (n - 1)) / 2 })
  }
  // 6 MB of 300 kB payloads went through; the process must not have kept them.
  expect(maxRss).toBeLessThan(400 * 1024 * 1024)
  expect(Object.keys(Object.prototype)).toEqual([])
}, 180_000)
