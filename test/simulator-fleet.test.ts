import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseFault } from '../simulators/faults.ts'
import { fleetSpec } from '../simulators/fleet-spec.ts'
import { createFleet, type Fleet, type GroundTruth } from '../simulators/fleet.ts'
import { provisionFleet } from '../simulators/provision.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

// A fleet of 20 stations sends two local days of door traffic through the real stack while
// devices go offline (and upload their backlog in batches), resend duplicates, have a door
// stuck open and a clock that runs ahead. The API's per-day figures must equal the ground
// truth, which is computed from the day plans, not from the messages.

const FROM = Date.parse('2026-03-02T00:00:00+08:00') // Monday, local midnight
const UNTIL = Date.parse('2026-03-04T00:00:00+08:00')
const FAULTS = [
  'offline:sz-0001:30h@2026-03-02T09:00', // busy station: > 500 held door events, several batches
  'offline:sz-0003:3h@2026-03-02T11:00', // through the lunch peak
  'offline:gz-0009:4h@2026-03-03T22:00', // still offline at the end of the run: uploads then
  'door-stuck:sz-0002:90m@2026-03-02T12:00',
  'clock-skew:sz-0004:+3m',
  'duplicates:*:5%'
]

let stack: TestStack
let fleet: Fleet
let truth: GroundTruth
let dir: string
const stations = fleetSpec({ stations: 20, seed: 42 })

beforeAll(async () => {
  stack = await startTestStack()
  dir = mkdtempSync(join(tmpdir(), 'waystation-fleet-'))
  const credentials = await provisionFleet({ registry: stack.registry, stations, layout: 'hub', path: join(dir, 'credentials.json') })
  fleet = createFleet({ url: stack.mqttUrl, stations, credentials, seed: 42, faults: FAULTS.map(parseFault), channels: ['door'], maxInFlight: 500 })
  await fleet.connect()
  await fleet.run({ from: FROM, until: UNTIL })
  truth = fleet.groundTruth()
  await fleet.close()
})
afterAll(async () => {
  await stack?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('simulated fleet through the real stack', () => {
  it('sent every event, some alone and some in batches, some twice, and all were acknowledged', () => {
    const c = fleet.counters
    expect(c.channels.door.failed).toBe(0)
    expect(c.channels.door.acked).toBe(c.channels.door.sent)
    expect(c.buffered).toBeGreaterThan(500)
    expect(c.batches.sent).toBeGreaterThanOrEqual(4)
    expect(c.batches.acked).toBe(c.batches.sent)
    expect(c.duplicates.sent).toBeGreaterThan(0)
    expect(c.duplicates.acked).toBe(c.duplicates.sent)
  })

  it('stored each door event once: duplicates and batch re-sends overwrite themselves', async () => {
    const [row] = await stack.query<{ count: number }>('SELECT count("seq") AS "count" FROM "door"')
    expect(row?.count).toBe(fleet.counters.channels.door.sent)
  })

  it('reports exactly the ground truth per station and local day', async () => {
    expect(Object.keys(truth.stations)).toHaveLength(20)
    for (const s of stations) {
      const res = await fetch(`${stack.apiUrl}/stations/${s.id}/visits?from=2026-03-02&to=2026-03-03`, { headers: stack.auth() })
      expect(res.status).toBe(200)
      const body = await res.json() as { days: Array<{ date: string, visits: number, uniqueWorkers: number, denied: number }>, totals: { uniqueWorkers: number } }
      const days = truth.stations[s.id]!.days
      expect(days.map((d) => d.partial)).toEqual([false, false])
      expect(body.days, s.id).toEqual(days.map((d) => ({ date: d.date, visits: d.visits, uniqueWorkers: d.uniqueWorkers, denied: d.denied })))
      // Each worker is a first-time visitor exactly once in the range.
      expect(body.totals.uniqueWorkers, s.id).toBe(days.reduce((n, d) => n + d.firstTimeVisitors, 0))
    }
  })

  it('the open door cost scans, not people: the counter still saw them', () => {
    const day = truth.stations['sz-0002']!.days[0]!
    expect(day.unscanned).toBeGreaterThan(0)
    expect(day.entries).toBe(day.visits + day.unscanned)
    for (const other of truth.stations['sz-0001']!.days) expect(other.unscanned).toBe(0)
  })
})
