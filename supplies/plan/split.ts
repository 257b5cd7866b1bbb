// Route first, cluster second (Beasley 1983): a single "giant tour" through every stop is cut
// into trips that each fit the vehicle, at the cuts that make the total distance least. The
// cut is exact for the given order (a shortest path over the O(m · stops per trip) arcs
// "trip = stops i..j"); each trip is then re-routed on its own.
import type { DistanceMatrix } from './geo.ts'

/** Cuts `order` (node indices, demands in `demand`) into trips of load ≤ capacity. */
export function splitTour (m: DistanceMatrix, depot: number, order: readonly number[], demand: (node: number) => number, capacity: number): number[][] {
  const { n, d } = m
  const k = order.length
  const best = new Float64Array(k + 1).fill(Infinity)
  const cut = new Int32Array(k + 1)
  best[0] = 0
  for (let i = 0; i < k; i++) {
    if (best[i] === Infinity) continue
    let load = 0
    let inner = 0
    for (let j = i; j < k; j++) {
      const s = order[j]!
      load += demand(s)
      if (load > capacity) break
      if (j > i) inner += d[order[j - 1]! * n + s]!
      const c = best[i]! + d[depot * n + order[i]!]! + inner + d[s * n + depot]!
      if (c < best[j + 1]!) { best[j + 1] = c; cut[j + 1] = i }
    }
  }
  if (best[k] === Infinity) throw new Error('splitTour: a stop needs more than the vehicle holds (split it first)')
  const trips: number[][] = []
  for (let j = k; j > 0; j = cut[j]!) trips.push(order.slice(cut[j]!, j))
  return trips.reverse()
}
