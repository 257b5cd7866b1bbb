// Visit figures (/stations/:id/usage and /visits) on the fixed fixture of
// test/support/figure-fixture.ts, expectations worked out by hand; the same figures from the
// rollups and from raw events; a late upload of yesterday's events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { A, B, figureFixture, fixtureEvents, lateUpload, type FigureFixture } from './support/figure-fixture.ts'

let fx: FigureFixture
beforeAll(async () => {
  fx = await figureFixture()
  await fx.store(fixtureEvents())
})
afterAll(() => fx?.close())

const row = (from: string, to: string, visits: number, uniqueWorkers: number, denied: number, counterEntries: number | null, firstTimeVisitors: number | null, entriesOutsideOpeningHours = 0) =>
  ({ from, to, visits, uniqueWorkers, denied, counterEntries, counterMinusDoor: counterEntries === null ? null : counterEntries - visits, firstTimeVisitors, entriesOutsideOpeningHours })
const day = (date: string, ...rest: [number, number, number, number | null, number | null, number?]) => row(date, date, ...rest)
const strip = ({ provenance: _, ...rest }: Record<string, unknown>) => rest

describe('before the rollup job ran', () => {
  it('computes every day from raw events (door figures need no index)', async () => {
    const { status, body } = await fx.get(`/stations/${A}/visits?from=2026-05-04&to=2026-05-07`)
    expect(status).toBe(200)
    expect(body.days).toEqual([
      { date: '2026-05-04', visits: 4, uniqueWorkers: 3, denied: 1 },
      { date: '2026-05-05', visits: 3, uniqueWorkers: 2, denied: 1 },
      { date: '2026-05-06', visits: 0, uniqueWorkers: 0, denied: 0 },
      { date: '2026-05-07', visits: 1, uniqueWorkers: 1, denied: 0 }
    ])
    expect(body.totals).toEqual({ visits: 8, uniqueWorkers: 4, denied: 2 })
    expect((await fx.get(`/stations/${A}/usage?from=2026-05-04&to=2026-05-07`)).body.provenance).toEqual({ rollupDays: 0, rawDays: 4 })
  })
})

describe('after the rollup job ran', () => {
  // As its start-up reconciliation and hourly sweep do: quiet days get a (zero) rollup too.
  beforeAll(() => { fx.job.markRange([A, B], '2026-05-01', '2026-05-31'); return fx.job.drain() })

  it('sh-a per local day: counter against door, first-time visitors, an empty day as zeros', async () => {
    const { body } = await fx.get(`/stations/${A}/usage?from=2026-05-04&to=2026-05-07`)
    expect(body.provenance).toEqual({ rollupDays: 4, rawDays: 0 })
    expect(body.periods).toEqual([
      // W1, W2, W3 and an entry without worker id; the counter saw 5 come in.
      day('2026-05-04', 4, 3, 1, 5, 3),
      // W1 twice, W4 (first seen at berlin-b two hours earlier: not new here).
      day('2026-05-05', 3, 2, 1, 0, 0),
      day('2026-05-06', 0, 0, 0, null, 0),
      // W2 at exactly local midnight belongs to 05-07.
      day('2026-05-07', 1, 1, 0, null, 0)
    ])
    expect(body.totals).toEqual(row('2026-05-04', '2026-05-07', 8, 4, 2, 5, 3))
  })

  it('berlin-b in its own zone and opening hours (08:00-20:00)', async () => {
    const { body } = await fx.get(`/stations/${B}/usage?from=2026-05-04&to=2026-05-07`)
    expect(body.timezone).toBe('Europe/Berlin')
    expect(body.periods).toEqual([
      day('2026-05-04', 2, 2, 0, 3, 1, 2), // 07:30 and 21:00 are outside opening hours; W6 is new
      day('2026-05-05', 1, 1, 0, null, 1, 1), // W4 at 03:00
      day('2026-05-06', 0, 0, 0, null, 0),
      day('2026-05-07', 0, 0, 0, null, 0) // heartbeats carry no `entered`
    ])
    expect(body.totals).toEqual(row('2026-05-04', '2026-05-07', 3, 3, 0, 3, 2, 3))
  })

  it('weeks (Monday first) and months, cut at the range', async () => {
    const weeks = (await fx.get(`/stations/${A}/usage?from=2026-05-01&to=2026-05-07&granularity=week`)).body
    expect(weeks.periods).toEqual([row('2026-05-01', '2026-05-03', 0, 0, 0, null, 0), row('2026-05-04', '2026-05-07', 8, 4, 2, 5, 3)])
    const months = (await fx.get(`/stations/${A}/usage?from=2026-04-28&to=2026-05-07&granularity=month`)).body
    expect(months.periods).toEqual([row('2026-04-28', '2026-04-30', 0, 0, 0, null, 0), row('2026-05-01', '2026-05-07', 8, 4, 2, 5, 3)])
    // A whole month: distinct workers from the monthly rollup's set.
    const may = (await fx.get(`/stations/${A}/usage?from=2026-05-01&to=2026-05-31&granularity=month`)).body
    expect(may.periods).toEqual([row('2026-05-01', '2026-05-31', 8, 4, 2, 5, 3)])
  })

  it('agrees with the figures computed from raw events', async () => {
    for (const url of [
      `/stations/${A}/usage?from=2026-05-04&to=2026-05-07`,
      `/stations/${B}/usage?from=2026-05-04&to=2026-05-07`,
      `/stations/${A}/usage?from=2026-05-01&to=2026-05-31&granularity=month`,
      `/stations/${B}/usage?from=2026-05-01&to=2026-05-10&granularity=week`
    ]) {
      const { rollup, raw } = await fx.both(url)
      expect(rollup.body.provenance.rawDays, url).toBe(0)
      expect(raw.body.provenance.rollupDays, url).toBe(0)
      expect(strip(rollup.body), url).toEqual(strip(raw.body))
    }
  })
})

describe('a late upload of yesterday’s events', () => {
  it('changes that day at once (from raw while dirty) and in the rollup after the job ran', async () => {
    await fx.store(lateUpload()) // W5 at sh-a, Tue 05-05 20:00-20:15, first time anywhere
    const expected = [day('2026-05-05', 4, 3, 1, 0, 1)]
    const dirty = (await fx.get(`/stations/${A}/usage?from=2026-05-05&to=2026-05-05`)).body
    expect(dirty.provenance).toEqual({ rollupDays: 0, rawDays: 1 })
    expect(dirty.periods).toEqual(expected)
    await fx.job.drain()
    const { body } = await fx.get(`/stations/${A}/usage?from=2026-05-04&to=2026-05-07`)
    expect(body.provenance).toEqual({ rollupDays: 4, rawDays: 0 })
    expect(body.periods[1]).toEqual(expected[0])
    expect(body.periods[0]).toEqual(day('2026-05-04', 4, 3, 1, 5, 3)) // the day before is untouched
    expect(body.totals).toEqual(row('2026-05-04', '2026-05-07', 9, 5, 2, 5, 4))
    const visits = (await fx.get(`/stations/${A}/visits?from=2026-05-04&to=2026-05-07`)).body
    expect(visits.totals).toEqual({ visits: 9, uniqueWorkers: 5, denied: 2 })
  })
})

describe('validation', () => {
  it.each([
    [`/stations/${A}/usage?from=2026-05-01&to=2026-05-02&granularity=year`, 'querystring.granularity'],
    [`/stations/${A}/usage?from=2026-01-01&to=2026-06-01&source=raw`, 'source=raw is limited to 92 days'],
    [`/stations/${A}/usage?from=2026-05-03&to=2026-05-01`, 'is before from']
  ])('400 for %s', async (url, fragment) => {
    const { status, body } = await fx.get(url)
    expect(status).toBe(400)
    expect(body.message).toContain(fragment)
  })

  it('404 for an unknown station', async () => {
    const { status, body } = await fx.get('/stations/nowhere/usage?from=2026-05-01&to=2026-05-02')
    expect(status).toBe(404)
    expect(body).toEqual({ error: 'Not Found', message: 'station nowhere not found', statusCode: 404 })
  })
})
