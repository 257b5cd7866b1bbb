// A late upload for an earlier day racing the rollup job (test/support/figure-fixture.ts): the
// first-seen index still names a later, rolled-up day as a worker's first visit, and that
// day's rollup counts them as a first-time visitor. Until the job has recomputed both days, the
// answer must not count the worker twice (first-time visitors ≤ distinct workers, always) nor
// call the stale day a rollup day.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { AnyEvent } from '../contract/index.ts'
import { A, rolledUpFixture, W, type FigureFixture } from './support/figure-fixture.ts'

let fx: FigureFixture
beforeAll(async () => { fx = await rolledUpFixture('2026-05-01', '2026-05-31') })
afterAll(() => fx?.close())

const cst = (local: string) => Date.parse(`${local}+08:00`)
const door = (local: string, direction: 'in' | 'out', seq: number): { station: string, event: AnyEvent } =>
  ({ station: A, event: { channel: 'door', payload: { device: `${A}-door`, ts: cst(local), seq, direction, method: 'face', result: 'granted', worker: W.w3 } } })

type Usage = { visits: number, uniqueWorkers: number, firstTimeVisitors: number | null }
const pick = ({ visits, uniqueWorkers, firstTimeVisitors }: Usage) => ({ visits, uniqueWorkers, firstTimeVisitors })
const invariant = (body: { periods: Usage[], totals: Usage }) => {
  for (const p of [...body.periods, body.totals]) expect(p.firstTimeVisitors!).toBeLessThanOrEqual(p.uniqueWorkers)
}

it('first-time visitors stay right while the job has not caught up with a late upload for an earlier day', async () => {
  // Rolled up: W3's first visit anywhere is sh-a, Mon 05-04 23:50 (W1, W2, W3 are new that day).
  const rolled = (await fx.get(`/stations/${A}/usage?from=2026-05-03&to=2026-05-04`)).body
  expect(rolled.periods.map(pick)).toEqual([{ visits: 0, uniqueWorkers: 0, firstTimeVisitors: 0 }, { visits: 4, uniqueWorkers: 3, firstTimeVisitors: 3 }])

  // W3's door controller uploads a visit of Sun 05-03 late: that is now W3's first visit.
  await fx.store([door('2026-05-03T10:00:00', 'in', 5_001), door('2026-05-03T10:20:00', 'out', 5_002)])
  const expected = {
    // 05-03: W3 (new). 05-04: W1, W2 new; W3 no longer (seen the day before).
    periods: [{ visits: 1, uniqueWorkers: 1, firstTimeVisitors: 1 }, { visits: 4, uniqueWorkers: 3, firstTimeVisitors: 2 }],
    // W1, W2, W3 over both days, each new once.
    totals: { visits: 5, uniqueWorkers: 3, firstTimeVisitors: 3 }
  }
  const racing = (await fx.get(`/stations/${A}/usage?from=2026-05-03&to=2026-05-04`)).body
  invariant(racing)
  expect({ periods: racing.periods.map(pick), totals: pick(racing.totals) }).toEqual(expected)
  // 05-03 is dirty; 05-04's rollup is stale (it counts W3): both computed from raw events.
  expect(racing.provenance).toEqual({ rollupDays: 0, rawDays: 2 })
  // The month: W1, W2, W3 new at sh-a (W4 was new at berlin-b first); W1-W4 distinct.
  const month = (await fx.get(`/stations/${A}/usage?from=2026-05-01&to=2026-05-31&granularity=month`)).body
  invariant(month)
  expect(pick(month.totals)).toEqual({ visits: 9, uniqueWorkers: 4, firstTimeVisitors: 3 })

  // Once the job has run (05-03, then 05-04 which its recompute marks), all from rollups.
  await fx.job.drain()
  const settled = (await fx.get(`/stations/${A}/usage?from=2026-05-03&to=2026-05-04`)).body
  expect({ periods: settled.periods.map(pick), totals: pick(settled.totals) }).toEqual(expected)
  expect(settled.provenance).toEqual({ rollupDays: 2, rawDays: 0 })
})
