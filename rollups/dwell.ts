// Dwell figures from the per-day minute histograms of computeDays. The cap is chosen per
// request (at most the pairing horizon): a dwell is min(minutes, cap) and an entry without
// an exit counts as the cap. Quantiles are nearest-rank on those whole minutes, so they are
// exact and the same from rollups and from raw events.
import type { Dwell } from './compute-days.ts'
import { DWELL_HORIZON_MS } from './raw-events.ts'

export const MAX_DWELL_CAP_MIN = DWELL_HORIZON_MS / 60_000
export const DEFAULT_DWELL_CAP_MIN = 120

export const emptyDwell = (): Dwell => ({ hist: new Map(), open: 0, anon: 0 })

export function addDwell (into: Dwell, d: Dwell | null): Dwell {
  if (d === null) throw new Error('dwell was not loaded with these days')
  for (const [m, n] of d.hist) into.hist.set(m, (into.hist.get(m) ?? 0) + n)
  into.open += d.open
  into.anon += d.anon
  return into
}

export type DwellStats = {
  /** Granted entries with a worker id (paired or not). */
  entries: number
  /** Of those, entries whose next door event was an exit within the cap. */
  exitedWithinCap: number
  /** Entries counted at the cap: no exit before the next entry or within the cap. */
  atCap: number
  withoutExit: number
  /** Granted entries without a worker id: not paired. */
  unidentified: number
  medianMinutes: number | null
  p90Minutes: number | null
  meanMinutes: number | null
  histogram: Array<{ fromMinutes: number, toMinutes: number, count: number }>
}

/** Smallest value whose cumulative count reaches ceil(p × n). */
function quantile (sorted: ReadonlyArray<[number, number]>, total: number, p: number): number | null {
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil(p * total))
  let seen = 0
  for (const [v, n] of sorted) {
    seen += n
    if (seen >= rank) return v
  }
  return sorted.at(-1)?.[0] ?? null
}

export function dwellStats (d: Dwell, capMin: number, binMin: number): DwellStats {
  const counts = new Map<number, number>()
  let atCap = d.open
  for (const [m, n] of d.hist) {
    if (m >= capMin) atCap += n
    else counts.set(m, (counts.get(m) ?? 0) + n)
  }
  if (atCap > 0) counts.set(capMin, atCap)
  const sorted = [...counts].sort((a, b) => a[0] - b[0])
  const total = sorted.reduce((s, [, n]) => s + n, 0)
  const sum = sorted.reduce((s, [v, n]) => s + v * n, 0)
  const histogram: DwellStats['histogram'] = []
  for (let from = 0; from < capMin; from += binMin) {
    const to = Math.min(from + binMin, capMin)
    let count = 0
    for (const [v, n] of sorted) if (v >= from && v < to) count += n
    histogram.push({ fromMinutes: from, toMinutes: to, count })
  }
  return {
    entries: total,
    exitedWithinCap: total - atCap,
    atCap,
    withoutExit: d.open,
    unidentified: d.anon,
    medianMinutes: quantile(sorted, total, 0.5),
    p90Minutes: quantile(sorted, total, 0.9),
    meanMinutes: total === 0 ? null : Math.round((sum / total) * 100) / 100,
    histogram
  }
}

/** "12:3,15:1": the histogram as a rollup string field. */
export function encodeHist (hist: Map<number, number>): string {
  return [...hist].sort((a, b) => a[0] - b[0]).map(([m, n]) => `${m}:${n}`).join(',')
}

export function decodeHist (s: unknown): Map<number, number> {
  const out = new Map<number, number>()
  if (typeof s !== 'string' || s === '') return out
  for (const part of s.split(',')) {
    const [m, n] = part.split(':')
    out.set(Number(m), Number(n))
  }
  return out
}

/** "open,anon;12:3,15:1": the dwell of a rollup point as a string field. */
export const encodeDwell = (d: Dwell): string => `${d.open},${d.anon};${encodeHist(d.hist)}`

export function decodeDwell (s: unknown): Dwell | null {
  if (typeof s !== 'string') return null
  const [head = '', hist] = s.split(';')
  const [open = 0, anon = 0] = head.split(',').map(Number)
  return { hist: decodeHist(hist), open, anon }
}
