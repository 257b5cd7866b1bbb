// Occupancy figures (/stations/:id/occupancy) on the fixture of test/support/figure-fixture.ts.
// A count holds from its message until the next one, at most 10 minutes; expectations below
// are person-minutes over known minutes, worked out from the fixture's messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rolledUpFixture, A, B, type FigureFixture } from './support/figure-fixture.ts'

let fx: FigureFixture
beforeAll(async () => {
  fx = await rolledUpFixture('2026-05-04', '2026-05-07')
})
afterAll(() => fx?.close())

const r = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d
/** Figures from person-minutes, known minutes, capacity, max, minutes at capacity, minutes in the interval. */
const occ = (person: number, known: number, capacity: number, max: number, atCap: number, minutes: number) => ({
  meanOccupancy: r(person / known, 2), maxOccupancy: max, utilisation: r(person / (capacity * known), 4), minutesAtCapacity: atCap, coverage: r(known / minutes, 4)
})
const none = { meanOccupancy: null, maxOccupancy: null, utilisation: null, minutesAtCapacity: 0, coverage: 0 }
const strip = ({ provenance: _, live: __, ...rest }: Record<string, unknown>) => rest

describe('occupancy', () => {
  it('sh-a per local day (capacity 2): a count carried over local midnight, days without counter', async () => {
    const { status, body } = await fx.get(`/stations/${A}/occupancy?from=2026-05-04&to=2026-05-07`)
    expect(status).toBe(200)
    expect(body.provenance).toEqual({ rollupDays: 4, rawDays: 0 })
    expect(body.series.map(({ start: _, date: __, hour: ___, openMinutes: ____, ...f }: Record<string, unknown>) => f)).toEqual([
      // 08:00-08:30: 2,2,4,3 people for 5 min each, then 0 for 10 min; 23:50-24:00: 1 person.
      occ(10 + 10 + 20 + 15 + 0 + 5 + 5, 40, 2, 4, 20, 1440),
      // The 23:55 count holds until 00:05; 00:20 reports 0 (known until 00:30).
      occ(5, 15, 2, 1, 0, 1440),
      none,
      none
    ])
    expect(body.series[0]).toMatchObject({ start: '2026-05-03T16:00:00.000Z', date: '2026-05-04', hour: null, openMinutes: 1440 })
    expect(body.totals).toEqual(occ(70, 55, 2, 4, 20, 4 * 1440))
    expect(body.live).toBeNull()
  })

  it('hourly series', async () => {
    const { body } = await fx.get(`/stations/${A}/occupancy?from=2026-05-04&to=2026-05-04&interval=hour`)
    expect(body.series).toHaveLength(24)
    expect(body.series[8]).toEqual({ start: '2026-05-04T00:00:00.000Z', date: '2026-05-04', hour: 8, openMinutes: 60, ...occ(55, 30, 2, 4, 20, 60) })
    expect(body.series[23]).toEqual({ start: '2026-05-04T15:00:00.000Z', date: '2026-05-04', hour: 23, openMinutes: 60, ...occ(10, 10, 2, 1, 0, 60) })
    expect(body.series.filter((s: { meanOccupancy: number | null }) => s.meanOccupancy !== null).map((s: { hour: number }) => s.hour)).toEqual([8, 23])
  })

  it('berlin-b (capacity 3, open 08:00-20:00): opening hours against the whole day', async () => {
    const open = (await fx.get(`/stations/${B}/occupancy?from=2026-05-04&to=2026-05-07`)).body
    // Open time only sees 19:58-20:00 (1 person); 05-07 reports 0 every 5 minutes all day.
    expect(open.series.map(({ start: _, date: __, hour: ___, openMinutes: ____, ...f }: Record<string, unknown>) => f))
      .toEqual([occ(2, 2, 3, 1, 0, 720), none, none, occ(0, 720, 3, 0, 0, 720)])
    expect(open.totals).toEqual(occ(2, 722, 3, 1, 0, 4 * 720))
    const all = (await fx.get(`/stations/${B}/occupancy?from=2026-05-04&to=2026-05-04&scope=all`)).body
    // 06:55 3 people (at capacity) for 10 min, 19:58 1 person for 10 min.
    expect(all.totals).toEqual(occ(30 + 10, 20, 3, 3, 10, 1440))
    const hours = (await fx.get(`/stations/${B}/occupancy?from=2026-05-04&to=2026-05-04&interval=hour`)).body.series
    expect(hours.map((h: { openMinutes: number }) => h.openMinutes)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, ...new Array(12).fill(60), 0, 0, 0, 0])
  })

  it('agrees with the figures computed from raw events', async () => {
    for (const url of [
      `/stations/${A}/occupancy?from=2026-05-04&to=2026-05-07`,
      `/stations/${A}/occupancy?from=2026-05-04&to=2026-05-05&interval=hour`,
      `/stations/${B}/occupancy?from=2026-05-04&to=2026-05-07&scope=all`,
      `/stations/${B}/occupancy?from=2026-05-04&to=2026-05-07&interval=hour`
    ]) {
      const { rollup, raw } = await fx.both(url)
      expect(rollup.body.provenance.rawDays, url).toBe(0)
      expect(strip(rollup.body), url).toEqual(strip(raw.body))
    }
  })

  it('live: the latest count reported in the last 10 minutes', async () => {
    const ts = Date.now() - 60_000
    await fx.store([{ station: A, event: { channel: 'occupancy', payload: { device: `${A}-sensors`, ts, seq: 999_999, count: 2, entered: 1 } } }])
    const { body } = await fx.get(`/stations/${A}/occupancy?from=2026-05-04&to=2026-05-04`)
    expect(body.live).toEqual({ count: 2, at: new Date(ts).toISOString() })
  })

  it('400 for a bad interval or scope', async () => {
    expect((await fx.get(`/stations/${A}/occupancy?from=2026-05-04&to=2026-05-04&interval=minute`)).status).toBe(400)
    expect((await fx.get(`/stations/${A}/occupancy?from=2026-05-04&to=2026-05-04&scope=night`)).status).toBe(400)
  })
})
