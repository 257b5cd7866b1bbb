import type { StationRun } from './fleet-station.ts'

// The fleet scheduler's queue: O(log n) to take the station whose next message is due first.
// Stations are ordered by (headTs, index), a total order, so the sequence of stations taken
// does not depend on how the heap is laid out. The keys live in typed arrays next to each
// other: with 10,000 stations, comparing keys through the station objects missed the CPU
// cache at every level of the heap.

/** Min-heap of stations by the time of their next message (ties: station order, for determinism). */
export function createStationHeap () {
  let ts = new Float64Array(1024)
  let idx = new Int32Array(1024)
  const items: StationRun[] = []
  const less = (i: number, j: number) => ts[i]! < ts[j]! || (ts[i] === ts[j] && idx[i]! < idx[j]!)
  const move = (from: number, to: number) => { ts[to] = ts[from]!; idx[to] = idx[from]!; items[to] = items[from]! }
  /** Put `r` (keys t, x) at hole `i` and sift it down. */
  const siftDown = (i: number, r: StationRun, t: number, x: number): void => {
    const n = items.length
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const c = l + 1 < n && less(l + 1, l) ? l + 1 : l
      if (!(ts[c]! < t || (ts[c] === t && idx[c]! < x))) break
      move(c, i)
      i = c
    }
    ts[i] = t
    idx[i] = x
    items[i] = r
  }
  return {
    get size () { return items.length },
    peek: (): StationRun | undefined => items[0],
    push (r: StationRun): void {
      let i = items.length
      if (i === ts.length) {
        const grownTs = new Float64Array(2 * i); grownTs.set(ts); ts = grownTs
        const grownIdx = new Int32Array(2 * i); grownIdx.set(idx); idx = grownIdx
      }
      items.push(r)
      const t = r.headTs
      const x = r.index
      while (i > 0) {
        const p = (i - 1) >> 1
        if (!(t < ts[p]! || (t === ts[p] && x < idx[p]!))) break
        move(p, i)
        i = p
      }
      ts[i] = t
      idx[i] = x
      items[i] = r
    },
    pop (): StationRun | undefined {
      const top = items[0]
      const last = items.pop()
      const n = items.length
      if (n > 0 && last !== undefined) siftDown(0, last, ts[n]!, idx[n]!)
      return top
    },
    /** The top station's headTs moved on: one sift instead of a pop and a push. */
    updateTop (): void {
      const r = items[0]
      if (r !== undefined) siftDown(0, r, r.headTs, r.index)
    }
  }
}
