// The shortest closed tour depot → every stop → depot, exactly, by Held-Karp dynamic
// programming: O(2^k · k²) time, O(2^k · k) memory. k = 10 is 10^5 steps (well under a
// millisecond); the planner uses it up to EXACT_MAX_STOPS and a heuristic beyond.
import type { DistanceMatrix } from './geo.ts'

export const EXACT_MAX_STOPS = 10
// Past this the tables grow past a few MB and the time past a few ms: refuse, don't stall.
const HARD_LIMIT = 16

/** Stops (node indices) in the order of a shortest closed tour from and back to `depot`. */
export function exactTour (m: DistanceMatrix, depot: number, stops: readonly number[]): number[] {
  const k = stops.length
  if (k <= 2) return [...stops]
  if (k > HARD_LIMIT) throw new Error(`exactTour: ${k} stops is too many for Held-Karp (at most ${HARD_LIMIT})`)
  const { n, d } = m
  const full = (1 << k) - 1
  // cost[mask * k + j]: shortest path from the depot through exactly the stops of `mask`,
  // ending at stop j (j in mask); parent holds the stop before j on that path.
  const cost = new Float64Array((full + 1) * k).fill(Infinity)
  const parent = new Int8Array((full + 1) * k).fill(-1)
  for (let j = 0; j < k; j++) cost[(1 << j) * k + j] = d[depot * n + stops[j]!]!
  for (let mask = 1; mask <= full; mask++) {
    for (let j = 0; j < k; j++) {
      if ((mask & (1 << j)) === 0) continue
      const here = cost[mask * k + j]!
      if (here === Infinity) continue
      const from = stops[j]! * n
      for (let next = 0; next < k; next++) {
        if ((mask & (1 << next)) !== 0) continue
        const to = (mask | (1 << next)) * k + next
        const c = here + d[from + stops[next]!]!
        if (c < cost[to]!) { cost[to] = c; parent[to] = j }
      }
    }
  }
  let best = Infinity
  let last = 0
  for (let j = 0; j < k; j++) {
    const c = cost[full * k + j]! + d[stops[j]! * n + depot]!
    if (c < best) { best = c; last = j }
  }
  const order: number[] = []
  let mask = full
  let j = last
  while (j >= 0) {
    order.push(stops[j]!)
    const p = parent[mask * k + j]!
    mask &= ~(1 << j)
    j = p
  }
  return order.reverse()
}
