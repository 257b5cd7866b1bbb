import type { Segment } from './worker-pool.ts'

// When people arrive, by local wall-clock time, per segment. Each segment's curve is a sum of
// bumps (centre hour, spread in minutes, share) plus a flat floor, normalised to 1 over the
// 1440 minutes of a day. The shapes follow what rest-station operators describe: riders come
// between the lunch and dinner rushes' orders, sanitation crews after the early sweep, couriers
// between afternoon delivery rounds, and the night is quiet but never empty (open 24 h).

type Bump = [centreHour: number, sdMinutes: number, share: number]

const BUMPS: Record<Segment, { bumps: Bump[], floor: number }> = {
  rider: { bumps: [[12.25, 48, 0.33], [18.25, 48, 0.29], [15.5, 80, 0.16], [9.5, 60, 0.08], [21.5, 60, 0.1]], floor: 0.04 },
  courier: { bumps: [[10.5, 60, 0.3], [15.25, 70, 0.55], [19, 60, 0.1]], floor: 0.05 },
  sanitation: { bumps: [[6, 38, 0.55], [9.5, 45, 0.17], [13, 50, 0.15], [20, 60, 0.05]], floor: 0.08 },
  other: { bumps: [[14, 240, 0.88]], floor: 0.12 }
}

/** Share of all arrivals per segment; 'other' are passers-by and one-off workers. */
export const SEGMENT_SHARES: Record<Segment, number> = { rider: 0.58, courier: 0.22, sanitation: 0.12, other: 0.08 }
export const SEGMENTS = Object.keys(SEGMENT_SHARES) as Segment[]

/** Weekends carry fewer courier rounds and orders overall. */
export const WEEKEND_FACTOR = 0.75

function buildCurve ({ bumps, floor }: { bumps: Bump[], floor: number }): Float64Array {
  const curve = new Float64Array(1440)
  const bumpTotal = bumps.reduce((a, b) => a + b[2], 0)
  for (const [hour, sd, share] of bumps) {
    const raw = new Float64Array(1440)
    let sum = 0
    for (let m = 0; m < 1440; m++) {
      // Circular distance, so a bump near midnight wraps instead of being cut off.
      const d = Math.min(Math.abs(m - hour * 60), 1440 - Math.abs(m - hour * 60))
      raw[m] = Math.exp(-0.5 * (d / sd) ** 2)
      sum += raw[m] ?? 0
    }
    for (let m = 0; m < 1440; m++) curve[m] = (curve[m] ?? 0) + ((raw[m] ?? 0) / sum) * share / (bumpTotal + floor)
  }
  for (let m = 0; m < 1440; m++) curve[m] = (curve[m] ?? 0) + floor / (bumpTotal + floor) / 1440
  return curve
}

const CURVES = Object.fromEntries(SEGMENTS.map((s) => [s, buildCurve(BUMPS[s])])) as Record<Segment, Float64Array>

/** Expected fraction of a segment's daily arrivals in wall-clock minute `minuteOfDay`. */
export function arrivalDensity (segment: Segment, minuteOfDay: number): number {
  const m = ((Math.floor(minuteOfDay) % 1440) + 1440) % 1440
  return CURVES[segment][m] ?? 0
}

// Per minute of the day: each segment's share × density (the weights to pick a segment) and
// their sum (the expected share of the day's arrivals in that minute), computed once.
const WEIGHTS: Float64Array[] = Array.from({ length: 1440 }, (_, m) => Float64Array.from(SEGMENTS.map((s) => SEGMENT_SHARES[s] * (CURVES[s][m] ?? 0))))
const TOTALS = Float64Array.from(WEIGHTS, (w) => w.reduce((a, x) => a + x, 0))
const minuteIndex = (minuteOfDay: number) => ((Math.floor(minuteOfDay) % 1440) + 1440) % 1440

/** Fraction of all of a day's arrivals expected in wall-clock minute `minuteOfDay`. */
export function totalDensity (minuteOfDay: number): number {
  return TOTALS[minuteIndex(minuteOfDay)] ?? 0
}

/** Relative weights of SEGMENTS among the arrivals of that minute (do not modify). */
export function segmentWeights (minuteOfDay: number): Float64Array {
  return WEIGHTS[minuteIndex(minuteOfDay)] as Float64Array
}
