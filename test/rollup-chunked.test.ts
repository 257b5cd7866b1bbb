// A recompute reads raw events in bounded chunks (rollups/raw-events.ts readRawEvents) and
// folds them into the days' figures: the same figures whatever the chunk size, never more rows
// held than a chunk; and a day with more events than a station's devices can send is flagged
// in completeness. Against the real influxd, through the figure fixture's station sh-a
// (Asia/Shanghai, capacity 2, open 24 h).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnyEvent } from '../contract/index.ts'
import { DEFAULT_BAND } from '../rollups/comfort-band.ts'
import { computeDaysFromInflux, type ComputeContext } from '../rollups/compute-days.ts'
import { localDayOf } from '../rollups/day-bounds.ts'
import { influxQueryFn } from '../rollups/influx-query.ts'
import { DEFAULT_PLAUSIBILITY, implausibleStreams } from '../rollups/plausibility.ts'
import type { Stream } from '../rollups/raw-events.ts'
import { emptyAgg } from '../rollups/aggregate.ts'
import { worker } from './support/device.ts'
import { A, figureFixture, type FigureFixture } from './support/figure-fixture.ts'

// A date of the fixture's world (no raw retention there): nothing else happens at sh-a that day.
const DAY = '2026-06-10'
const FLOOD = '2026-06-11'
const cst = (local: string) => Date.parse(`${local}+08:00`)
const MIN = 60_000

let fx: FigureFixture
let seq = 1_000
const ev = (station: string, event: AnyEvent) => ({ station, event })
const doorEv = (ts: number, direction: 'in' | 'out', result: 'granted' | 'denied', w?: number) =>
  ev(A, { channel: 'door', payload: { device: `${A}-door`, ts, seq: ++seq, direction, method: w === undefined ? 'manual' : 'face', result, ...(w === undefined ? {} : { worker: worker(w) }) } })

function busyDay () {
  const t0 = cst(`${DAY}T00:00:00`)
  const events = []
  // 2,500 stays: entry k at 00:00 + 30 s·k by worker (k mod 250) + 1, exit 10 min later.
  for (let k = 0; k < 2500; k++) {
    events.push(doorEv(t0 + k * 30_000, 'in', 'granted', (k % 250) + 1))
    events.push(doorEv(t0 + k * 30_000 + 10 * MIN, 'out', 'granted', (k % 250) + 1))
  }
  // 1,000 refused attempts in the same millisecond (12:00:00.000, one device, consecutive
  // sequence numbers): more than a chunk of rows sharing one millisecond.
  for (let i = 0; i < 1000; i++) events.push(doorEv(cst(`${DAY}T12:00:00`), 'in', 'denied'))
  // 600 people-counter messages, one a minute from 00:00, counts 0, 1, 2, 0, 1, 2, …
  for (let i = 0; i < 600; i++) events.push(ev(A, { channel: 'occupancy', payload: { device: `${A}-sensors`, ts: t0 + i * MIN, seq: ++seq, count: i % 3 } }))
  // A climate sample every minute, at :30, all day.
  for (let i = 0; i < 1440; i++) events.push(ev(A, { channel: 'environment', payload: { device: `${A}-sensors`, ts: t0 + i * MIN + 30_000, seq: ++seq, temperature: 22 } }))
  return events
}

beforeAll(async () => {
  fx = await figureFixture()
  await fx.store(busyDay())
})
afterAll(() => fx?.close())

describe('chunked recompute', () => {
  const ctx: ComputeContext = { stationId: A, capacity: 2, timeZone: 'Asia/Shanghai', openingHours: '24h', band: DEFAULT_BAND, firstSeen: null }

  it('gives the same figures with chunks of 500 rows as with one chunk, holding at most 500 rows', async () => {
    const query = influxQueryFn(fx.influx)
    const days = [localDayOf(DAY, 'Asia/Shanghai')]
    const chunks: Array<[Stream, number]> = []
    const chunked = await computeDaysFromInflux(query, days, ctx, { chunkRows: 500, onChunk: (s, n) => chunks.push([s, n]) })
    const whole = await computeDaysFromInflux(query, days, ctx, { chunkRows: 1_000_000 })
    expect(chunked).toEqual(whole)

    expect(Math.max(...chunks.map(([, n]) => n))).toBe(500)
    const rowsOf = (s: Stream) => chunks.filter(([x]) => x === s).reduce((n, [, r]) => n + r, 0)
    // Every row read exactly once: 6,000 door events, 600 messages, 1,440 samples.
    expect([rowsOf('door'), rowsOf('occupancy'), rowsOf('environment')]).toEqual([6000, 600, 1440])
    expect(chunks.filter(([s]) => s === 'door').length).toBeGreaterThanOrEqual(12)

    // Ground truth, worked out from busyDay() above.
    const [d] = chunked.days
    expect(d!.agg).toMatchObject({ entries: 2500, denied: 1000, doorEvents: 6000, occMessages: 600, envSamples: 1440, envMinutes: 1440, comfortSamples: 1440 })
    expect(d!.uniqueWorkers).toBe(250)
    // Each stay is 10 minutes; a worker's next entry comes 250 × 30 s = 125 min later.
    expect(d!.dwell).toEqual({ hist: new Map([[10, 2500]]), open: 0, anon: 0 })
    // 120 entries an hour (one per 30 s) from 00:00 to 19:59, then k = 2400..2499 in 20:00-20:49.
    expect(d!.byHour).toEqual([...new Array(20).fill(120), 100, 0, 0, 0])
    // Each count holds 1 min until the next; the last (i = 599, count 2) holds 10 min.
    // Known: 599 + 10 = 609 min. Person-minutes: Σ_{i<599} (i mod 3) = 199·3 + 0 + 1 = 598, plus 2·10 = 618.
    // At capacity (count 2): i = 2, 5, …, 596 (199 minutes) plus the last 10 minutes = 209.
    expect(d!.agg.occKnownMs).toBe(609 * MIN)
    expect(d!.agg.occPersonMs).toBe(618 * MIN)
    expect(d!.agg.occFullMs).toBe(209 * MIN)
  })
})

describe('implausible days', () => {
  it('the default limits sit at a door in use without pause for 24 h, and scale with the time looked at', () => {
    const day = Object.assign(emptyAgg(), { minutes: 1440, doorEvents: 20_000, occMessages: 50_000, envSamples: 14_400 })
    expect(implausibleStreams(day)).toEqual([])
    expect(implausibleStreams({ ...day, doorEvents: 20_001 })).toEqual(['door'])
    // 12 open hours allow half: 10,001 door events in them are too many.
    expect(implausibleStreams({ ...day, minutes: 720, doorEvents: 10_001, occMessages: 0, envSamples: 0 })).toEqual(['door'])
    expect(implausibleStreams({ ...day, doorEvents: 1, occMessages: 50_001, envSamples: 14_401 })).toEqual(['occupancy', 'environment'])
    expect(implausibleStreams({ ...day, doorEvents: 30 }, { ...DEFAULT_PLAUSIBILITY, doorEvents: 20 })).toEqual(['door'])
  })

  it('a day with more door events than a door can see is flagged in /completeness, from rollups and from raw', async () => {
    // 20,100 refused attempts, one every 4 s from 00:00 (until 22:20).
    const t0 = cst(`${FLOOD}T00:00:00`)
    await fx.store(Array.from({ length: 20_100 }, (_, i) => doorEv(t0 + i * 4_000, 'in', 'denied')))
    fx.job.markRange([A], DAY, FLOOD)
    await fx.job.drain()
    const url = `/stations/${A}/completeness?from=${DAY}&to=${FLOOD}`
    const { rollup, raw } = await fx.both(url)
    expect(rollup.body.provenance).toEqual({ rollupDays: 2, rawDays: 0 })
    for (const body of [rollup.body, raw.body]) {
      expect(body.days.map((d: { date: string, implausible: string[], complete: boolean }) => [d.date, d.implausible, d.complete]))
        .toEqual([[DAY, [], false], [FLOOD, ['door'], false]])
    }
    // The busy day of the chunk test is plausible: its only shortfall is the counter's gap
    // after 10:09 (600 messages, then silence).
    expect(rollup.body.days[0]).toMatchObject({ environment: { share: 1 }, occupancy: { gaps: 1 }, door: { silentHours: 0 } })
  })
})
