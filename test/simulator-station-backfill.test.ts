import { afterAll, beforeAll, expect, test } from 'vitest'
import { createStationSimulator, type BackfillProgress, type SimDevice } from '../simulators/station-simulator.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

// The station simulator's backfill against the real broker and InfluxDB: its progress reports
// (the demo's progress bar) know the total up front and end at "all acknowledged".
let stack: TestStack

beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(async () => {
  await stack?.stop()
})

test('backfill reports its total first, then every acknowledgement, ending with all stored', async () => {
  const stationId = 'sz-test-progress'
  await stack.registry.addStation({ id: stationId, name: '测试驿站', address: '深圳市', district: '福田区', lat: 22.54, lon: 114.08, capacity: 8, areaM2: 12, amenities: ['ac'] })
  const devices: SimDevice[] = []
  for (const [role, kind] of [['door', 'door'], ['sensors', 'sensors']] as const) {
    const deviceId = `${stationId}-${role}`
    devices.push({ deviceId, role, secret: (await stack.registry.addDevice(stationId, deviceId, kind)).secret })
  }
  const sim = createStationSimulator({ url: stack.mqttUrl, stationId, timeZone: 'Asia/Shanghai', devices, seed: 'progress', busyness: 40, capacity: 8 })
  const reports: BackfillProgress[] = []
  try {
    const result = await sim.backfill({ days: 1, onProgress: (p) => reports.push({ ...p }) })
    expect(result.sent).toBeGreaterThan(100)
    expect(result.acked).toBe(result.sent)
    expect(reports[0]).toEqual({ total: result.sent, sent: 0, acked: 0 })
    expect(reports.at(-1)).toEqual({ total: result.sent, sent: result.sent, acked: result.sent })
    expect(reports).toHaveLength(result.acked + 1)
    expect(reports.every((p, i) => i === 0 || p.acked === reports[i - 1]!.acked + 1)).toBe(true)
  } finally {
    await sim.stop()
  }
})
