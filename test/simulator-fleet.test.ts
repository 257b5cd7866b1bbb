import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseFault } from '../simulators/faults.ts'
import { fleetSpec } from '../simulators/fleet-spec.ts'
import { createFleet, type Fleet, type GroundTruth } from '../simulators/fleet.ts'
import { provisionFleet } from '../simulators/provision.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

// A fleet of 20 stations sends two local days of door and people-counter traffic through the
// real stack while devices go offline (and upload their backlog in batches), resend
// duplicates, have a door stuck open and a clock that runs ahead. Every figure of the API that
// these messages make must equal the ground truth, which is computed from the day plans, not
// from the messages: visits, distinct workers, refused attempts and first-time visitors per
// day, entries by hour (peak hours), stays (dwell), the highest people count and the counter's
// entries against the door's. (Climate, appliances and shelves have ground truth too, but no API
// figure that the simulator knows exactly: the comfort figures sample a simulated room, and
// no route serves appliance uses or supplies.)

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
const RANGE = 'from=2026-03-02&to=2026-03-03'
const get = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: stack.auth() })
  expect(res.status, path).toBe(200)
  return await res.json() as T
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

beforeAll(async () => {
  stack = await startTestStack()
  dir = mkdtempSync(join(tmpdir(), 'waystation-fleet-'))
  const credentials = await provisionFleet({ registry: stack.registry, stations, layout: 'hub', path: join(dir, 'credentials.json') })
  fleet = createFleet({ url: stack.mqttUrl, stations, credentials, seed: 42, faults: FAULTS.map(parseFault), channels: ['door', 'occupancy'], maxInFlight: 500 })
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
    for (const ch of ['door', 'occupancy'] as const) {
      expect(c.channels[ch].sent, ch).toBeGreaterThan(0)
      expect(c.channels[ch].failed, ch).toBe(0)
      expect(c.channels[ch].acked, ch).toBe(c.channels[ch].sent)
    }
    expect(c.buffered).toBeGreaterThan(500)
    expect(c.batches.sent).toBeGreaterThanOrEqual(4)
    expect(c.batches.acked).toBe(c.batches.sent)
    expect(c.duplicates.sent).toBeGreaterThan(0)
    expect(c.duplicates.acked).toBe(c.duplicates.sent)
  })

  it('stored each event once: duplicates and batch re-sends overwrite themselves', async () => {
    const [door] = await stack.query<{ count: number }>('SELECT count("seq") AS "count" FROM "door"')
    expect(door?.count).toBe(fleet.counters.channels.door.sent)
    const [occupancy] = await stack.query<{ count: number }>('SELECT count("seq") AS "count" FROM "occupancy"')
    expect(occupancy?.count).toBe(fleet.counters.channels.occupancy.sent)
  })

  it('reports exactly the ground truth per station and local day: visits, workers, refused, first-time visitors, counter entries', async () => {
    expect(Object.keys(truth.stations)).toHaveLength(20)
    for (const s of stations) {
      const body = await get<{ days: Array<{ date: string, visits: number, uniqueWorkers: number, denied: number }>, totals: { uniqueWorkers: number } }>(`/stations/${s.id}/visits?${RANGE}`)
      const days = truth.stations[s.id]!.days
      expect(days.map((d) => d.partial)).toEqual([false, false])
      expect(body.days, s.id).toEqual(days.map((d) => ({ date: d.date, visits: d.visits, uniqueWorkers: d.uniqueWorkers, denied: d.denied })))
      // Each worker is a first-time visitor exactly once in the range.
      expect(body.totals.uniqueWorkers, s.id).toBe(sum(days.map((d) => d.firstTimeVisitors)))

      const usage = await get<{ periods: unknown[] }>(`/stations/${s.id}/usage?${RANGE}&granularity=day`)
      expect(usage.periods, s.id).toEqual(days.map((d) => ({
        from: d.date,
        to: d.date,
        visits: d.visits,
        uniqueWorkers: d.uniqueWorkers,
        denied: d.denied,
        // The people counter saw everyone, the door only those it scanned.
        counterEntries: d.entries,
        counterMinusDoor: d.unscanned,
        // Worker ids are per station and the store starts empty: first in the range is first ever.
        firstTimeVisitors: d.firstTimeVisitors,
        // Provisioned without opening hours: open around the clock.
        entriesOutsideOpeningHours: 0
      })))
    }
  })

  it('reports the ground truth\'s entries by local hour and weekday (peak hours)', async () => {
    for (const s of stations) {
      const days = truth.stations[s.id]!.days
      const body = await get<{ entries: number[][], dates: number[], busiestHour: { hour: number, entries: number } | null }>(`/stations/${s.id}/peak-hours?${RANGE}`)
      const zeros = new Array<number>(24).fill(0)
      // 2026-03-02 is a Monday, 03-03 a Tuesday.
      expect(body.entries, s.id).toEqual([days[0]!.visitsByHour, days[1]!.visitsByHour, zeros, zeros, zeros, zeros, zeros])
      expect(body.dates).toEqual([1, 1, 0, 0, 0, 0, 0])
      const byHour = zeros.map((_, h) => days[0]!.visitsByHour[h]! + days[1]!.visitsByHour[h]!)
      const top = Math.max(...byHour)
      expect(body.busiestHour, s.id).toEqual({ hour: byHour.indexOf(top), entries: top })
    }
  })

  it('reports the ground truth\'s stays (dwell), minute by minute', async () => {
    const CAP = 240 // the longest cap the API offers: every simulated stay (2-75 min) is below it
    for (const s of stations) {
      const days = truth.stations[s.id]!.days
      const minutes = new Array<number>(CAP).fill(0)
      for (const d of days) for (const [m, n] of Object.entries<number>(d.dwell.minutes)) minutes[Number(m)]! += n
      const withoutExit = sum(days.map((d) => d.dwell.withoutExit))
      const entries = sum(days.map((d) => d.visits))
      expect(sum(minutes) + withoutExit, s.id).toBe(entries)
      // Nearest-rank quantiles over the stays, an entry without exit counting as the cap.
      const stays = [...minutes.flatMap((n, m) => new Array<number>(n).fill(m)), ...new Array<number>(withoutExit).fill(CAP)]
      const rank = (p: number) => stays[Math.max(1, Math.ceil(p * stays.length)) - 1]!
      const body = await get<Record<string, unknown>>(`/stations/${s.id}/dwell?${RANGE}&cap=${CAP}&bin=1`)
      expect(body, s.id).toMatchObject({
        entries,
        exitedWithinCap: entries - withoutExit,
        atCap: withoutExit,
        withoutExit,
        unidentified: sum(days.map((d) => d.dwell.unidentified)),
        medianMinutes: rank(0.5),
        p90Minutes: rank(0.9),
        meanMinutes: Math.round(sum(stays) / stays.length * 100) / 100,
        histogram: minutes.map((count, m) => ({ fromMinutes: m, toMinutes: m + 1, count }))
      })
    }
    // The open door left stays without a scanned exit: the comparison covers that case.
    expect(sum(truth.stations['sz-0002']!.days.map((d) => d.dwell.withoutExit))).toBeGreaterThan(0)
  })

  it('reports the ground truth\'s highest people count per day', async () => {
    for (const s of stations) {
      const days = truth.stations[s.id]!.days
      const body = await get<{ series: Array<{ date: string, maxOccupancy: number | null }>, totals: { maxOccupancy: number | null } }>(`/stations/${s.id}/occupancy?${RANGE}&interval=day&scope=all`)
      expect(body.series.map((r) => [r.date, r.maxOccupancy]), s.id).toEqual(days.map((d) => [d.date, d.peakOccupancy]))
      expect(body.totals.maxOccupancy, s.id).toBe(Math.max(...days.map((d) => d.peakOccupancy)))
    }
  })

  it('the open door cost scans, not people: the counter still saw them', () => {
    const day = truth.stations['sz-0002']!.days[0]!
    expect(day.unscanned).toBeGreaterThan(0)
    expect(day.entries).toBe(day.visits + day.unscanned)
    for (const other of truth.stations['sz-0001']!.days) expect(other.unscanned).toBe(0)
  })
})
