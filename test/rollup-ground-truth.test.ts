// computeDays against figures worked out by hand, not against itself: the "rollup agrees with
// raw" tests pass both sides through computeDays, so only literal expectations can catch an
// error in it. A station in Europe/Berlin (capacity 2, open 24 h) on its spring-forward day
// (2026-03-29, 23 local hours: 02:00 CET → 03:00 CEST) and its fall-back day (2026-10-25,
// 25 local hours: 03:00 CEST → 02:00 CET, hour 2 twice). Times below are UTC (Z) with the
// local wall clock in the comment. No raw retention and no clock are involved: these are
// fixed calendar facts, not dates that expire.
import { describe, expect, it } from 'vitest'
import { DEFAULT_BAND } from '../rollups/comfort-band.ts'
import { computeDays, type ComputeContext, type FirstSeen } from '../rollups/compute-days.ts'
import { localDayOf } from '../rollups/day-bounds.ts'
import type { DoorRow, EnvironmentRow, OccupancyRow, RawEvents } from '../rollups/raw-events.ts'
import { dayComplete } from '../rollups/period.ts'
import { dayLine, decodeDay, decodeHour, hourLine } from '../rollups/rollup-codec.ts'

const TZ = 'Europe/Berlin'
const Z = (iso: string) => Date.parse(`${iso}Z`)
const MIN = 60_000
const W1 = 'w_0000000000000001'
const W2 = 'w_0000000000000002'
const W3 = 'w_0000000000000003'
const W4 = 'w_0000000000000004'

const door = (t: string, dir: 'in' | 'out', worker: string | null, granted = true): DoorRow => ({ t: Z(t), in: dir === 'in', granted, worker })
const occ = (t: string, count: number, entered: number | null = null): OccupancyRow => ({ t: Z(t), count, entered, exited: null })
const env = (t: string, temperature: number): EnvironmentRow => ({ t: Z(t), temperature, humidity: null, co2: null, pm25: null })
const ctx = (firstSeen: Map<string, FirstSeen>): ComputeContext => ({
  stationId: 'berlin-dst', capacity: 2, timeZone: TZ, openingHours: '24h', band: DEFAULT_BAND, firstSeen: async (ws) => new Map(ws.flatMap((w) => (firstSeen.has(w) ? [[w, firstSeen.get(w)!]] : [])))
})
/** What a test reads of an hour: local hour, UTC start, length and the counted figures. */
const hourOf = (h: Awaited<ReturnType<typeof computeDays>>['hours'][number]) => ({
  hour: h.hour, start: new Date(h.start).toISOString().slice(11, 16), minutes: h.agg.minutes,
  entries: h.agg.entries, denied: h.agg.denied, doorEvents: h.agg.doorEvents,
  occKnownMin: h.agg.occKnownMs / MIN, occPersonMin: h.agg.occPersonMs / MIN, occFullMin: h.agg.occFullMs / MIN, occMax: h.agg.occMax, occSlots: h.agg.occSlots,
  envSamples: h.agg.envSamples, envMinutes: h.agg.envMinutes, comfortable: h.agg.comfortSamples
})
/** A rollup point as the job writes it, read back as readers decode it (string fields only: all they select). */
function stored (line: string, time: number) {
  const fields = new Map([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]))
  return (name: string) => (name === 'time' ? time : fields.get(name))
}
function expectStoredAsComputed (out: Awaited<ReturnType<typeof computeDays>>) {
  for (const d of out.days) expect(decodeDay(stored(dayLine('berlin-dst', d), d.start))).toEqual(d)
  for (const h of out.hours) expect(decodeHour(stored(hourLine('berlin-dst', h), h.start))).toEqual(h)
}
const quiet = (hour: number, start: string) => ({ hour, start, minutes: 60, entries: 0, denied: 0, doorEvents: 0, occKnownMin: 0, occPersonMin: 0, occFullMin: 0, occMax: 0, occSlots: 0, envSamples: 0, envMinutes: 0, comfortable: 0 })

describe('spring forward: Sun 2026-03-29, 23 local hours', async () => {
  // The day runs 2026-03-28T23:00Z .. 2026-03-29T22:00Z. Local hour 1 is 00:00-01:00Z; local
  // 03:00 CEST is 01:00Z, straight after it (local hour 2 does not exist).
  const raw: RawEvents = {
    door: [
      door('2026-03-29T00:30:00', 'in', W1), // 01:30 CET, hour 1
      door('2026-03-29T00:59:59', 'in', null, false), // 01:59:59 CET, refused
      door('2026-03-29T01:00:00', 'in', W2), // 03:00 CEST, hour 3; never leaves
      door('2026-03-29T01:10:00', 'out', W1), // 03:10 CEST: W1 stayed 40 min (not 1 h 40 by the wall clock)
      door('2026-03-29T10:00:00', 'in', null), // 12:00 CEST, no worker id
      door('2026-03-29T21:30:00', 'in', W1), // 23:30 CEST
      door('2026-03-29T22:15:00', 'out', W1) // 00:15 CEST on 03-30: 45 min, counted on the day of entry
    ],
    occupancy: [
      occ('2026-03-29T00:55:00', 2, 2), // 01:55 CET: 2 people (at capacity) until the next message 5 min later
      occ('2026-03-29T01:00:00', 1) // 03:00 CEST: 1 person for 10 min (no further message)
    ],
    environment: [env('2026-03-29T00:30:30', 22), env('2026-03-29T01:30:30', 30)]
  }
  const out = await computeDays(raw, [localDayOf('2026-03-29', TZ)], ctx(new Map()))
  const [day] = out.days

  it('has hours 0, 1, 3 … 23, each with its own figures', () => {
    expect(out.hours.map((h) => h.hour)).toEqual([0, 1, ...Array.from({ length: 21 }, (_, i) => i + 3)])
    const hours = out.hours.map(hourOf)
    expect(hours[0]).toEqual(quiet(0, '23:00'))
    // Hour 1: W1's entry and the refused attempt; count 2 held 00:55-01:00Z = 5 min (10 person-min, at capacity); slot 11; one comfortable sample.
    expect(hours[1]).toEqual({ hour: 1, start: '00:00', minutes: 60, entries: 1, denied: 1, doorEvents: 2, occKnownMin: 5, occPersonMin: 10, occFullMin: 5, occMax: 2, occSlots: 1, envSamples: 1, envMinutes: 1, comfortable: 1 })
    // Hour 3 (the first CEST hour): W2's entry, W1's exit; count 1 for 10 min; 30 °C is outside the band.
    expect(hours[2]).toEqual({ hour: 3, start: '01:00', minutes: 60, entries: 1, denied: 0, doorEvents: 2, occKnownMin: 10, occPersonMin: 10, occFullMin: 0, occMax: 1, occSlots: 1, envSamples: 1, envMinutes: 1, comfortable: 0 })
    expect(hours[11]).toMatchObject({ hour: 12, start: '10:00', entries: 1, doorEvents: 1 })
    expect(hours[22]).toMatchObject({ hour: 23, start: '21:00', entries: 1, doorEvents: 1 })
    expect(hours.filter((h) => h.doorEvents + h.occSlots + h.envSamples === 0)).toHaveLength(23 - 4)
  })

  it('day figures: visits, workers, first-time, dwell, occupancy, comfort, completeness', () => {
    expect(day!.end - day!.start).toBe(23 * 60 * MIN)
    // Entries: W1 01:30, W2 03:00, anonymous 12:00, W1 23:30 (the 03-30 exit is another day's event).
    expect(day!.agg).toMatchObject({ minutes: 1380, entries: 4, denied: 1, doorEvents: 6, counterEntered: 2, counterMsgs: 1, occMessages: 2 })
    expect(day!.byHour).toEqual(Array.from({ length: 24 }, (_, h) => (h === 1 || h === 3 || h === 12 || h === 23 ? 1 : 0)))
    expect([day!.uniqueWorkers, day!.workers, day!.firstTime]).toEqual([2, [W1, W2], 2])
    // 40 and 45 minutes; W2 without exit; one entry without worker id.
    expect(day!.dwell).toEqual({ hist: new Map([[40, 1], [45, 1]]), open: 1, anon: 1 })
    // Occupancy: known 5 + 10 = 15 min, 10 + 10 = 20 person-min, 5 min at capacity.
    expect([day!.agg.occKnownMs / MIN, day!.agg.occPersonMs / MIN, day!.agg.occFullMs / MIN, day!.agg.occMax]).toEqual([15, 20, 5, 2])
    // Comfort: 2 samples, 1 comfortable; temperature 22 and 30.
    expect(day!.agg.temperature).toEqual({ n: 2, sum: 52, min: 22, max: 30, inBand: 1 })
    expect(day!.agg.comfortSamples).toBe(1)
    // Completeness: 23 × 12 = 276 slots expected, 2 received (00:55Z, 01:00Z, adjacent across
    // the jump); gaps 23:00Z-00:55Z (115 min) and 01:05Z-22:00Z (20 h 55 min = 1,255 min).
    expect(day!.agg).toMatchObject({ occSlotsExpected: 276, occSlots: 2, occGaps: 2, occLongestGapMin: 1255, envMinutes: 2, doorSilentHours: 0 })
    expect(dayComplete(day!.agg)).toBe(false)
    expect(day!.open).toEqual(day!.agg) // open round the clock
  })

  it('the rollup points carry exactly these figures', () => expectStoredAsComputed(out))
})

describe('fall back: Sun 2026-10-25, 25 local hours', async () => {
  // The day runs 2026-10-24T22:00Z .. 2026-10-25T23:00Z. Local hour 2 is twice: 00:00-01:00Z
  // (CEST) and 01:00-02:00Z (CET).
  const raw: RawEvents = {
    door: [
      door('2026-10-25T00:30:00', 'in', W3), // 02:30 CEST
      door('2026-10-25T01:20:00', 'out', W3), // 02:20 CET: 50 min later, though the wall clock went back
      door('2026-10-25T01:45:00', 'in', W4) // 02:45 CET; never leaves
    ],
    occupancy: [
      occ('2026-10-25T00:50:00', 3), // 02:50 CEST: 3 people (over capacity) for 10 min (stale before the next message)
      occ('2026-10-25T01:05:00', 0) // 02:05 CET: empty for 10 min
    ],
    environment: [env('2026-10-25T00:10:30', 20), env('2026-10-25T01:10:30', 27)]
  }
  // W3 was first seen elsewhere a year ago; W4 is new.
  const out = await computeDays(raw, [localDayOf('2026-10-25', TZ)], ctx(new Map([[W3, { station: 'elsewhere', at: Z('2025-10-01T08:00:00') }]])))
  const [day] = out.days

  it('has hours 0, 1, 2, 2, 3 … 23, each with its own figures', () => {
    expect(out.hours.map((h) => h.hour)).toEqual([0, 1, 2, 2, ...Array.from({ length: 21 }, (_, i) => i + 3)])
    const hours = out.hours.map(hourOf)
    expect(hours[1]).toEqual(quiet(1, '23:00'))
    // First hour 2 (CEST): W3's entry; 3 people 00:50-01:00Z (10 min, 30 person-min, all at capacity); slot 10; 20 °C in band.
    expect(hours[2]).toEqual({ hour: 2, start: '00:00', minutes: 60, entries: 1, denied: 0, doorEvents: 1, occKnownMin: 10, occPersonMin: 30, occFullMin: 10, occMax: 3, occSlots: 1, envSamples: 1, envMinutes: 1, comfortable: 1 })
    // Second hour 2 (CET): W3's exit, W4's entry; 0 people 01:05-01:15Z; slot 1; 27 °C out of band.
    expect(hours[3]).toEqual({ hour: 2, start: '01:00', minutes: 60, entries: 1, denied: 0, doorEvents: 2, occKnownMin: 10, occPersonMin: 0, occFullMin: 0, occMax: 0, occSlots: 1, envSamples: 1, envMinutes: 1, comfortable: 0 })
    expect(hours[4]).toEqual(quiet(3, '02:00'))
  })

  it('day figures: the repeated hour merged in the peak-hour row, dwell by elapsed time', () => {
    expect(day!.end - day!.start).toBe(25 * 60 * MIN)
    expect(day!.agg).toMatchObject({ minutes: 1500, entries: 2, denied: 0, doorEvents: 3, occMessages: 2, occMax: 3 })
    expect(day!.byHour).toEqual(Array.from({ length: 24 }, (_, h) => (h === 2 ? 2 : 0)))
    expect([day!.uniqueWorkers, day!.firstTime]).toEqual([2, 1]) // only W4 is new
    expect(out.newcomers).toEqual(new Map([[W4, Z('2026-10-25T01:45:00')]]))
    expect(day!.dwell).toEqual({ hist: new Map([[50, 1]]), open: 1, anon: 0 })
    // Known 20 min, 30 person-min, 10 min at capacity: mean 1.5, utilisation 30 / (2 × 20) = 0.75.
    expect([day!.agg.occKnownMs / MIN, day!.agg.occPersonMs / MIN, day!.agg.occFullMs / MIN]).toEqual([20, 30, 10])
    expect(day!.agg.temperature).toEqual({ n: 2, sum: 47, min: 20, max: 27, inBand: 1 })
    // 25 × 12 = 300 slots; received 00:50Z and 01:05Z; gaps 22:00Z-00:50Z (170), 00:55Z-01:05Z
    // (10, across the two hours 2), 01:10Z-23:00Z (1,310).
    expect(day!.agg).toMatchObject({ occSlotsExpected: 300, occSlots: 2, occGaps: 3, occLongestGapMin: 1310, envMinutes: 2 })
  })

  it('the rollup points carry exactly these figures', () => expectStoredAsComputed(out))
})
