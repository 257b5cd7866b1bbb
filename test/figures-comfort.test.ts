// Comfort (/stations/:id/comfort) and data completeness (/stations/:id/completeness) on the
// fixture of test/support/figure-fixture.ts, worked out by hand. Default band: 18-26 °C,
// 30-70 % RH, CO2 ≤ 1000 ppm, PM2.5 ≤ 50 µg/m³, bounds inside.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rolledUpFixture, A, B, type FigureFixture } from './support/figure-fixture.ts'

let fx: FigureFixture
beforeAll(async () => {
  fx = await rolledUpFixture('2026-05-04', '2026-05-07')
})
afterAll(() => fx?.close())

const r = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d
const q = (values: number[], lo: number, hi: number) => ({
  mean: r(values.reduce((s, v) => s + v, 0) / values.length, 2), min: Math.min(...values), max: Math.max(...values),
  inBandShare: r(values.filter((v) => v >= lo && v <= hi).length / values.length, 4)
})
const strip = ({ provenance: _, ...rest }: Record<string, unknown>) => rest

// sh-a, 05-04: ten samples at 12:00-12:08 and one at 13:00.
const T = [22, 27, 22, 22, 22, 26, 18, 17.9, 20, 30]
const H = [50, 50, 75, 50, 50, 70, 30, 50]
const C = [600, 600, 600, 1200, 600, 1000, 800]
const P = [10, 10, 10, 10, 60, 50]
const monday = {
  samples: 11,
  comfortable: 5, // 12:00 (all in), 12:05 (all on the bounds), 12:06, 12:07, the second 12:08 sample
  share: r(5 / 11, 4),
  temperature: q(T, 18, 26),
  humidity: q(H, 30, 70),
  co2: q(C, 0, 1000),
  pm25: q(P, 0, 50)
}
const empty = { samples: 0, comfortable: 0, share: null, temperature: null, humidity: null, co2: null, pm25: null }

describe('comfort', () => {
  it('sh-a per day, and the worst hours', async () => {
    const { status, body } = await fx.get(`/stations/${A}/comfort?from=2026-05-04&to=2026-05-07`)
    expect(status).toBe(200)
    expect(body.band).toEqual({ temperature: { min: 18, max: 26 }, humidity: { min: 30, max: 70 }, co2: { min: null, max: 1000 }, pm25: { min: null, max: 50 } })
    expect(body.series.map(({ start: _, date: __, hour: ___, openMinutes: ____, ...f }: Record<string, unknown>) => f)).toEqual([monday, empty, empty, empty])
    expect(body.totals).toEqual(monday)
    expect(body.worstHours).toEqual([
      { start: '2026-05-04T05:00:00.000Z', date: '2026-05-04', hour: 13, samples: 1, share: 0, temperature: 30, humidity: 50, co2: null, pm25: null },
      { start: '2026-05-04T04:00:00.000Z', date: '2026-05-04', hour: 12, samples: 10, share: 0.5, temperature: q(T.slice(0, 9), 0, 0).mean, humidity: q(H.slice(0, 7), 0, 0).mean, co2: q(C, 0, 0).mean, pm25: 25 }
    ])
    expect(body.provenance).toEqual({ rollupDays: 4, rawDays: 0 })
  })

  it('berlin-b: share of open time (08:00-20:00) against the whole day', async () => {
    const open = (await fx.get(`/stations/${B}/comfort?from=2026-05-04&to=2026-05-07`)).body
    // 05-04: 08:00:30 and 19:59:30 (22 °C) are open time; 07:59:30 and 20:00:30 (30 °C) are not.
    expect(open.series[0]).toMatchObject({ samples: 2, comfortable: 2, share: 1, temperature: q([22, 22], 18, 26) })
    expect(open.series[3]).toMatchObject({ samples: 720, comfortable: 720, share: 1 }) // 05-07, a sample a minute
    expect(open.totals).toMatchObject({ samples: 722, comfortable: 722, share: 1 })
    expect(open.worstHours.map((h: { date: string, hour: number }) => `${h.date} ${h.hour}`)).toEqual(['2026-05-04 8', '2026-05-04 19', '2026-05-07 8', '2026-05-07 9', '2026-05-07 10'])
    const all = (await fx.get(`/stations/${B}/comfort?from=2026-05-04&to=2026-05-07&scope=all`)).body
    expect(all.series[0]).toMatchObject({ samples: 4, comfortable: 2, share: 0.5, temperature: q([30, 22, 22, 30], 18, 26) })
    expect(all.totals).toMatchObject({ samples: 1444, comfortable: 1442, share: r(1442 / 1444, 4) })
    expect(all.worstHours.slice(0, 3).map((h: { date: string, hour: number, share: number }) => [h.date, h.hour, h.share])).toEqual([['2026-05-04', 7, 0], ['2026-05-04', 20, 0], ['2026-05-04', 8, 1]])
  })

  it('hourly series', async () => {
    const { body } = await fx.get(`/stations/${A}/comfort?from=2026-05-04&to=2026-05-04&interval=hour`)
    expect(body.series).toHaveLength(24)
    expect(body.series[12]).toMatchObject({ hour: 12, samples: 10, comfortable: 5, share: 0.5 })
  })

  it('a custom band is computed from raw events', async () => {
    const { body } = await fx.get(`/stations/${A}/comfort?from=2026-05-04&to=2026-05-07&temperature=..100&humidity=..100&co2=..2000&pm25=..100`)
    expect(body.band).toEqual({ temperature: { min: null, max: 100 }, humidity: { min: null, max: 100 }, co2: { min: null, max: 2000 }, pm25: { min: null, max: 100 } })
    expect(body.totals).toMatchObject({ samples: 11, comfortable: 11, share: 1 })
    expect(body.provenance).toEqual({ rollupDays: 0, rawDays: 4 })
    const narrow = (await fx.get(`/stations/${B}/comfort?from=2026-05-04&to=2026-05-04&scope=all&temperature=25..35`)).body
    expect(narrow.totals).toMatchObject({ samples: 4, comfortable: 2, temperature: q([30, 22, 22, 30], 25, 35) })
  })

  it.each([
    ['temperature=hot', 'temperature: expected min..max'],
    ['co2=900..100', 'co2: expected min..max'],
    ['humidity=..', 'humidity: expected min..max']
  ])('400 for %s', async (qs, fragment) => {
    const { status, body } = await fx.get(`/stations/${A}/comfort?from=2026-05-04&to=2026-05-07&${qs}`)
    expect(status).toBe(400)
    expect(body.message).toContain(fragment)
  })
})

const completeness = (expectedMinutes: number, receivedMinutes: number, expectedSlots: number, receivedSlots: number, gaps: number, longestGapMinutes: number, silentHours: number) => ({
  environment: { expectedMinutes, receivedMinutes, share: expectedMinutes > 0 ? r(receivedMinutes / expectedMinutes, 4) : null },
  occupancy: { expectedSlots, receivedSlots, gaps, longestGapMinutes },
  door: { silentHours },
  implausible: [],
  complete: receivedMinutes / expectedMinutes >= 0.95 && gaps === 0 && silentHours === 0
})

describe('completeness', () => {
  it('sh-a: a low count with broken devices is flagged, an empty day too', async () => {
    const { body } = await fx.get(`/stations/${A}/completeness?from=2026-05-04&to=2026-05-07`)
    expect(body.days).toEqual([
      // 10 minutes with samples; occupancy slots 08:00-08:20 and 23:50, 23:55; gaps 00:00-08:00 and 08:25-23:50.
      { date: '2026-05-04', visits: 4, ...completeness(1440, 10, 288, 7, 2, 925, 0) },
      // One message at 00:20; gaps 00:00-00:20 and 00:25-24:00.
      { date: '2026-05-05', visits: 3, ...completeness(1440, 0, 288, 1, 2, 1415, 0) },
      { date: '2026-05-06', visits: 0, ...completeness(1440, 0, 288, 0, 1, 1440, 0) },
      { date: '2026-05-07', visits: 1, ...completeness(1440, 0, 288, 0, 1, 1440, 0) }
    ])
    expect(body.totals).toEqual({ ...completeness(4 * 1440, 10, 4 * 288, 8, 6, 1440, 0), days: 4, completeDays: 0 })
  })

  it('berlin-b: opening hours only, and a complete day', async () => {
    const open = (await fx.get(`/stations/${B}/completeness?from=2026-05-04&to=2026-05-07`)).body
    expect(open.days.map(({ date: _, visits: __, ...c }: Record<string, unknown>) => c)).toEqual([
      completeness(720, 2, 144, 1, 1, 715, 0), // 19:58 is the only message in open time
      completeness(720, 0, 144, 0, 1, 720, 0),
      completeness(720, 0, 144, 0, 1, 720, 0),
      completeness(720, 720, 144, 144, 0, 0, 0)
    ])
    expect(open.days[3].complete).toBe(true)
    expect(open.totals).toMatchObject({ days: 4, completeDays: 1, complete: false })
    const all = (await fx.get(`/stations/${B}/completeness?from=2026-05-04&to=2026-05-07&scope=all`)).body
    // 06:55: the counter saw 3 come in and the door let nobody in that hour.
    expect(all.days[0]).toEqual({ date: '2026-05-04', visits: 2, ...completeness(1440, 4, 288, 2, 3, 775, 1) })
    expect(all.days[3]).toEqual({ date: '2026-05-07', visits: 0, ...completeness(1440, 1440, 288, 288, 0, 0, 0) })
  })
})

it('comfort and completeness agree with the figures computed from raw events', async () => {
  for (const url of [
    `/stations/${A}/comfort?from=2026-05-04&to=2026-05-07`,
    `/stations/${B}/comfort?from=2026-05-04&to=2026-05-07&interval=hour&scope=all`,
    `/stations/${A}/completeness?from=2026-05-04&to=2026-05-07`,
    `/stations/${B}/completeness?from=2026-05-04&to=2026-05-07`,
    `/stations/${B}/completeness?from=2026-05-04&to=2026-05-07&scope=all`
  ]) {
    const { rollup, raw } = await fx.both(url)
    expect(rollup.body.provenance.rawDays, url).toBe(0)
    expect(strip(rollup.body), url).toEqual(strip(raw.body))
  }
})
