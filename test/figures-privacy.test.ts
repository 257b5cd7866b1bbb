// Aggregates never expose individual workers: rollups keep worker pseudonym sets (for distinct
// counts over long ranges), but no figure, report or export returns one. Every figure route
// of the fixture, from rollups and from raw events, as JSON and CSV (the XLSX is built from the
// same tables as the CSV), is searched for a pseudonym. docs/security.md.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rolledUpFixture, A, B, W, type FigureFixture } from './support/figure-fixture.ts'

let fx: FigureFixture
beforeAll(async () => {
  fx = await rolledUpFixture('2026-05-01', '2026-05-31')
})
afterAll(async () => { await fx?.close() })

const range = 'from=2026-05-01&to=2026-05-31'
const urls = [
  ...[A, B].flatMap((s) => [
    `/stations/${s}/visits?${range}`,
    `/stations/${s}/usage?${range}&granularity=day`,
    `/stations/${s}/usage?${range}&granularity=week`,
    `/stations/${s}/usage?${range}&granularity=month`,
    `/stations/${s}/occupancy?${range}`,
    `/stations/${s}/peak-hours?${range}`,
    `/stations/${s}/dwell?${range}`,
    `/stations/${s}/comfort?${range}`,
    `/stations/${s}/completeness?${range}`,
    `/stations/${s}/reports/2026-05`,
    `/stations/${s}/reports/2026-05?format=csv`
  ]),
  `/fleet/summary?${range}`,
  '/fleet/reports/2026-05',
  '/fleet/reports/2026-05?format=csv'
]
// Pseudonyms as the contract allows them, and the fixture's own.
const PSEUDONYM = /w_[0-9a-f]{16,64}/

describe('figures expose counts, never worker ids', () => {
  it('no figure route returns a pseudonym, from rollups or from raw events', async () => {
    for (const url of urls) {
      for (const u of url.includes('/reports/') ? [url] : [url, `${url}&source=raw`]) {
        const { status, res } = await fx.get(u)
        expect(status, u).toBe(200)
        expect(res.body, u).not.toMatch(PSEUDONYM)
        for (const w of Object.values(W)) expect(res.body.includes(w), u).toBe(false)
      }
    }
  })

  it('while the rollups do hold them (for distinct counts): the test would see a leak', async () => {
    const rows = await fx.influx.query<{ workers: string }>('SELECT "workers" FROM "rollups"."daily_station" WHERE "station" = $s', { placeholders: { s: A } })
    expect(rows.some((r) => PSEUDONYM.test(r.workers))).toBe(true)
  })
})
