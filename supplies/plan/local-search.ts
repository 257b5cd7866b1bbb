// A good closed tour for more stops than Held-Karp can take: nearest-neighbour construction,
// then 2-opt and or-opt moves until neither improves the tour (or the deadline passes).
// Each node looks only at its K nearest neighbours, and a queue of "dirty" nodes (the
// don't-look bits of Bentley 1992) means that after the first sweep only the ends of a changed
// edge are looked at again: 1,000 stops converge in tens of milliseconds.
import type { DistanceMatrix } from './geo.ts'

export type SearchOptions = {
  /** performance.now() after which the search stops improving and returns what it has. */
  deadline?: number
  /** Neighbour list length (default 10). */
  neighbours?: number
}

const EPS = 1e-9

/** Stops (node indices) in the order of a short closed tour from and back to `depot`. */
export function heuristicTour (m: DistanceMatrix, depot: number, stops: readonly number[], opts: SearchOptions = {}): number[] {
  if (stops.length <= 2) return [...stops]
  const { n, d } = m
  const D = (a: number, b: number) => d[a * n + b]!
  const N = stops.length + 1
  const t = Int32Array.from(nearestNeighbour(m, depot, stops))
  const pos = new Int32Array(n)
  const index = () => { for (let i = 0; i < N; i++) pos[t[i]!] = i }
  index()
  const succ = (v: number) => t[(pos[v]! + 1) % N]!
  const pred = (v: number) => t[(pos[v]! + N - 1) % N]!
  const neigh = neighbourLists(m, t, Math.min(opts.neighbours ?? 10, N - 1))

  // Reverses the cyclic run of positions i..j; the complement when it is shorter (the same tour).
  const reverse = (i: number, j: number) => {
    let len = ((j - i + N) % N) + 1
    if (2 * len > N) { const ni = (j + 1) % N; j = (i + N - 1) % N; i = ni; len = N - len }
    for (let s = 0; s < len >> 1; s++) {
      const a = t[i]!, b = t[j]!
      t[i] = b; pos[b] = i; t[j] = a; pos[a] = j
      i = (i + 1) % N; j = (j + N - 1) % N
    }
  }

  // The work queue: every node once at first, then the ends of each changed edge.
  const queue: number[] = Array.from(t)
  const queued = new Uint8Array(n)
  for (const v of queue) queued[v] = 1
  let head = 0
  const push = (...vs: number[]) => { for (const v of vs) if (queued[v] === 0) { queued[v] = 1; queue.push(v) } }

  const twoOpt = (a: number): boolean => {
    for (const forward of [true, false]) {
      const b = forward ? succ(a) : pred(a)
      const dab = D(a, b)
      for (const c of neigh.get(a)!) {
        const dac = D(a, c)
        if (dac >= dab - EPS) break // sorted: no later c can gain either
        const e = forward ? succ(c) : pred(c)
        if (c === b || e === a) continue
        if (dac + D(b, e) - dab - D(c, e) < -EPS) {
          // forward: … a b … c e … → … a c … b e …; backward: … b a … e c … → … b e … a c …
          if (forward) reverse(pos[b]!, pos[c]!)
          else reverse(pos[a]!, pos[e]!)
          push(a, b, c, e)
          return true
        }
      }
    }
    return false
  }

  // Moves the run first..last (forward order) between u and v = succ(u), reversed or not.
  const moveSegment = (first: number, last: number, u: number, reversed: boolean) => {
    const seg: number[] = []
    for (let v = first; ; v = succ(v)) { seg.push(v); if (v === last) break }
    if (reversed) seg.reverse()
    const out = new Int32Array(N)
    let k = 0
    const stop = pred(first)
    for (let v = succ(last); ; v = succ(v)) {
      out[k++] = v
      if (v === u) for (const s of seg) out[k++] = s
      if (v === stop) break
    }
    t.set(out)
    index()
  }

  const orOpt = (a: number): boolean => {
    for (let len = 1; len <= 3 && len + 3 <= N; len++) {
      for (const aFirst of [true, false]) {
        if (len === 1 && !aFirst) continue
        let first = a, last = a
        for (let i = 1; i < len; i++) { if (aFirst) last = succ(last); else first = pred(first) }
        const p = pred(first), x = succ(last)
        const gain = D(p, first) + D(last, x) - D(p, x)
        if (gain <= EPS) continue
        const inSeg = (v: number) => ((pos[v]! - pos[first]! + N) % N) < len
        for (const end of [first, last]) {
          for (const c of neigh.get(end)!) {
            if (D(c, end) >= gain) break
            if (inSeg(c)) continue
            for (const [u, v] of [[c, succ(c)], [pred(c), c]] as const) {
              if (inSeg(u) || inSeg(v)) continue
              const duv = D(u, v)
              const keep = D(u, first) + D(last, v) - duv
              const flip = D(u, last) + D(first, v) - duv
              if (Math.min(keep, flip) < gain - EPS) {
                moveSegment(first, last, u, flip < keep)
                push(p, x, first, last, u, v)
                return true
              }
            }
          }
        }
      }
    }
    return false
  }

  const deadline = opts.deadline ?? Infinity
  const maxSteps = 200 * N
  for (let step = 0; head < queue.length && step < maxSteps; step++) {
    if ((step & 63) === 0 && performance.now() > deadline) break
    const a = queue[head++]!
    queued[a] = 0
    if (twoOpt(a) || orOpt(a)) push(a)
    // Keep the queue array from growing without bound on long runs.
    if (head > 4096 && head * 2 > queue.length) { queue.splice(0, head); head = 0 }
  }
  const at = pos[depot]!
  const order: number[] = []
  for (let i = 1; i < N; i++) order.push(t[(at + i) % N]!)
  return order
}

/** Depot first, then always the nearest stop not yet visited. */
function nearestNeighbour (m: DistanceMatrix, depot: number, stops: readonly number[]): number[] {
  const left = [...stops]
  const tour = [depot]
  let here = depot
  while (left.length > 0) {
    let best = 0
    for (let i = 1; i < left.length; i++) if (m.d[here * m.n + left[i]!]! < m.d[here * m.n + left[best]!]!) best = i
    here = left[best]!
    left[best] = left[left.length - 1]!
    left.pop()
    tour.push(here)
  }
  return tour
}

/** Each node's k nearest other nodes of the tour, nearest first. */
function neighbourLists (m: DistanceMatrix, nodes: Int32Array, k: number): Map<number, number[]> {
  const out = new Map<number, number[]>()
  const best = new Int32Array(k)
  const dist = new Float64Array(k)
  for (const a of nodes) {
    let size = 0
    const row = a * m.n
    for (const b of nodes) {
      if (b === a) continue
      const x = m.d[row + b]!
      if (size === k && x >= dist[k - 1]!) continue
      // Insertion into the sorted prefix.
      let i = size < k ? size++ : k - 1
      while (i > 0 && dist[i - 1]! > x) { dist[i] = dist[i - 1]!; best[i] = best[i - 1]!; i-- }
      dist[i] = x; best[i] = b
    }
    out.set(a, Array.from(best.subarray(0, size)))
  }
  return out
}
