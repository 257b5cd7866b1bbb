// Distinct workers over several days cannot be summed from daily counts: they are the size of
// the union of the days' worker sets. Whole months come from the monthly rollup's set (one
// per station-month instead of ~30 daily ones); other days from the daily sets, or from the
// days computed from raw in this request.
import type { DayRow } from '../../rollups/compute-days.ts'
import { monthBounds, monthOf } from '../../rollups/day-bounds.ts'
import { readDayWorkers, readMonths } from '../../rollups/rollup-store.ts'
import { runsOf, type FigureSource } from './day-source.ts'

export type WorkerSets = {
  /** Distinct workers over the days from..to (inside the range the sets were loaded for). */
  count: (from: string, to: string) => number
  union: (from: string, to: string) => Set<string>
}

/**
 * Loads what counting over sub-ranges of `days` needs. `periods` are the sub-ranges that will
 * be asked for: a month set is used only for a period that covers that whole month.
 */
export async function loadWorkerSets (src: FigureSource, stationId: string, days: readonly DayRow[], periods: ReadonlyArray<{ from: string, to: string }>): Promise<WorkerSets> {
  const sets = new Map<string, readonly string[]>() // date → workers
  const monthSets = new Map<string, readonly string[]>() // YYYY-MM → workers
  for (const d of days) if (d.workers) sets.set(d.date, d.workers)

  // Months wholly inside a period whose days all came from rollups (a raw day may be newer).
  const wholeMonths = new Set<string>()
  for (const p of periods) {
    for (let m = monthOf(p.from); m <= monthOf(p.to); m = monthOf(addMonth(m))) {
      const { first, last } = monthBounds(m)
      if (first >= p.from && last <= p.to) wholeMonths.add(m)
    }
  }
  for (const m of [...wholeMonths]) {
    const { first, last } = monthBounds(m)
    if (days.some((d) => d.workers && d.date >= first && d.date <= last)) wholeMonths.delete(m)
  }
  if (wholeMonths.size > 0) {
    const sorted = [...wholeMonths].sort()
    const rows = (await readMonths(src.query, { stations: [stationId], from: monthBounds(sorted[0]!).first, to: monthBounds(sorted.at(-1)!).last }, { workers: true })).get(stationId) ?? []
    for (const r of rows) {
      const m = `${String(Math.floor(r.ym / 100)).padStart(4, '0')}-${String(r.ym % 100).padStart(2, '0')}`
      if (wholeMonths.has(m) && r.workers) monthSets.set(m, r.workers)
    }
  }
  const coveredByMonth = (date: string, p: { from: string, to: string }) => {
    const m = monthOf(date)
    const { first, last } = monthBounds(m)
    return monthSets.has(m) && first >= p.from && last <= p.to
  }
  const needed = days.filter((d) => !sets.has(d.date) &&
    periods.some((p) => d.date >= p.from && d.date <= p.to && !coveredByMonth(d.date, p)))
  if (needed.length > 0) {
    // One query per run of consecutive days: the edges of a range, not the months between.
    const runs = runsOf(needed.map((d) => d.date), Infinity)
    const rows = (await Promise.all(runs.map((r) => readDayWorkers(src.query, { stations: [stationId], from: r[0]!, to: r.at(-1)! }))))
      .flatMap((m) => m.get(stationId) ?? [])
    const wanted = new Map(needed.map((d) => [d.ymd, d.date]))
    for (const r of rows) {
      const date = wanted.get(r.ymd)
      if (date) sets.set(date, r.workers)
    }
  }

  function union (from: string, to: string): Set<string> {
    const union = new Set<string>()
    const usedMonths = new Set<string>()
    for (const d of days) {
      if (d.date < from || d.date > to) continue
      const m = monthOf(d.date)
      const ms = monthSets.get(m)
      const { first, last } = monthBounds(m)
      if (ms && first >= from && last <= to) {
        if (!usedMonths.has(m)) { usedMonths.add(m); for (const w of ms) union.add(w) }
        continue
      }
      for (const w of sets.get(d.date) ?? []) union.add(w)
    }
    return union
  }
  return { union, count: (from, to) => union(from, to).size }
}

function addMonth (month: string): string {
  const y = Number(month.slice(0, 4))
  const m = Number(month.slice(5, 7))
  return m === 12 ? `${y + 1}-01-01` : `${month.slice(0, 4)}-${String(m + 1).padStart(2, '0')}-01`
}
