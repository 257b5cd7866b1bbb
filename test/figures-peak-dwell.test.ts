// Peak hours (/stations/:id/peak-hours) and dwell time (/stations/:id/dwell) on the fixture of
// test/support/figure-fixture.ts, worked out by hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rolledUpFixture, A, B, type FigureFixture } from './support/figure-fixture.ts'

let fx: FigureFixture
beforeAll(async () => {
  fx = await rolledUpFixture('2026-05-04', '2026-05-07')
})
afterAll(() => fx?.close())

const strip = ({ provenance: _, ...rest }: Record<string, unknown>) => rest
const hours = (cells: Record<number, number>) => Array.from({ length: 24 }, (_, h) => cells[h] ?? 0)
const bins = (cap: number, width: number, counts: Record<number, number>) =>
  Array.from({ length: Math.ceil(cap / width) }, (_, i) => ({ fromMinutes: i * width, toMinutes: Math.min((i + 1) * width, cap), count: counts[i * width] ?? 0 }))

describe('peak hours', () => {
  it('sh-a: entries by weekday × local hour, the busiest hour', async () => {
    const { status, body } = await fx.get(`/stations/${A}/peak-hours?from=2026-05-04&to=2026-05-07`)
    expect(status).toBe(200)
    expect(body.weekdays).toEqual(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])
    expect(body.entries).toEqual([
      hours({ 8: 1, 9: 1, 12: 1, 23: 1 }), // Mon 05-04
      hours({ 10: 2, 11: 1 }), // Tue 05-05
      hours({}), // Wed 05-06
      hours({ 0: 1 }), // Thu 05-07 00:00:00
      hours({}), hours({}), hours({})
    ])
    expect(body.dates).toEqual([1, 1, 1, 1, 0, 0, 0])
    expect(body.busiestHour).toEqual({ hour: 10, entries: 2 })
    expect(body.busiestSlot).toEqual({ weekday: 1, hour: 10, entries: 2 })
  })

  it('berlin-b in local time; ties go to the earliest hour', async () => {
    const { body } = await fx.get(`/stations/${B}/peak-hours?from=2026-05-04&to=2026-05-07`)
    expect(body.entries[0]).toEqual(hours({ 7: 1, 21: 1 }))
    expect(body.entries[1]).toEqual(hours({ 3: 1 }))
    expect(body.busiestHour).toEqual({ hour: 3, entries: 1 })
    expect(body.busiestSlot).toEqual({ weekday: 0, hour: 7, entries: 1 })
  })

  it('an empty range has no busiest hour', async () => {
    const { body } = await fx.get(`/stations/${A}/peak-hours?from=2026-05-06&to=2026-05-06`)
    expect(body.busiestHour).toBeNull()
    expect(body.entries.flat().every((n: number) => n === 0)).toBe(true)
  })
})

describe('dwell', () => {
  it('sh-a: entries paired with the next exit; an entry without exit counts as the cap', async () => {
    const { body } = await fx.get(`/stations/${A}/dwell?from=2026-05-04&to=2026-05-07`)
    // Stays: 10 (10.5 floored), 30, 30 (23:50 → 00:20, on the day of entry), 40, 5; and two at
    // the cap (120): W1's 10:00 entry followed by another entry, W4 who never left.
    expect(body).toEqual({
      stationId: A, timezone: 'Asia/Shanghai', from: '2026-05-04', to: '2026-05-07', capMinutes: 120, binMinutes: 10,
      entries: 7, exitedWithinCap: 5, atCap: 2, withoutExit: 2, unidentified: 1,
      medianMinutes: 30, // sorted 5 10 30 30 40 120 120: the 4th
      p90Minutes: 120, // the ceil(6.3) = 7th
      meanMinutes: Math.round((5 + 10 + 30 + 30 + 40 + 120 + 120) / 7 * 100) / 100,
      histogram: bins(120, 10, { 0: 1, 10: 1, 30: 2, 40: 1 }),
      provenance: { rollupDays: 4, rawDays: 0 }
    })
  })

  it('a lower cap and other bins', async () => {
    const { body } = await fx.get(`/stations/${A}/dwell?from=2026-05-04&to=2026-05-07&cap=30&bin=15`)
    expect(body).toMatchObject({
      capMinutes: 30, entries: 7, exitedWithinCap: 2, atCap: 5, withoutExit: 2, medianMinutes: 30, p90Minutes: 30,
      meanMinutes: Math.round((5 + 10 + 5 * 30) / 7 * 100) / 100,
      histogram: bins(30, 15, { 0: 2 })
    })
  })

  it('a stay across local midnight counts on the day of entry', async () => {
    const mon = (await fx.get(`/stations/${A}/dwell?from=2026-05-04&to=2026-05-04`)).body
    expect(mon).toMatchObject({ entries: 3, atCap: 0, unidentified: 1, medianMinutes: 30 })
    const tue = (await fx.get(`/stations/${A}/dwell?from=2026-05-05&to=2026-05-05`)).body
    expect(tue).toMatchObject({ entries: 3, atCap: 2, withoutExit: 2, medianMinutes: 120 })
  })

  it('berlin-b', async () => {
    const { body } = await fx.get(`/stations/${B}/dwell?from=2026-05-04&to=2026-05-07`)
    expect(body).toMatchObject({ entries: 3, exitedWithinCap: 3, atCap: 0, medianMinutes: 15, p90Minutes: 20, meanMinutes: 15 })
  })

  it('no entries: nulls and an empty histogram', async () => {
    const { body } = await fx.get(`/stations/${A}/dwell?from=2026-05-06&to=2026-05-06&cap=20`)
    expect(body).toMatchObject({ entries: 0, medianMinutes: null, p90Minutes: null, meanMinutes: null, histogram: bins(20, 10, {}) })
  })

  it('400 for a cap beyond the pairing horizon', async () => {
    const { status, body } = await fx.get(`/stations/${A}/dwell?from=2026-05-04&to=2026-05-07&cap=241`)
    expect(status).toBe(400)
    expect(body.message).toContain('querystring.cap')
  })
})

it('peak hours and dwell agree with the figures computed from raw events', async () => {
  for (const url of [
    `/stations/${A}/peak-hours?from=2026-05-04&to=2026-05-07`,
    `/stations/${B}/peak-hours?from=2026-05-01&to=2026-05-10`,
    `/stations/${A}/dwell?from=2026-05-04&to=2026-05-07`,
    `/stations/${A}/dwell?from=2026-05-04&to=2026-05-07&cap=30`,
    `/stations/${B}/dwell?from=2026-05-04&to=2026-05-07`
  ]) {
    const { rollup, raw } = await fx.both(url)
    expect(strip(rollup.body), url).toEqual(strip(raw.body))
  }
})
