import type { StationRun } from './fleet-station.ts'

// The fleet scheduler's queue: O(log n) to take the station whose next message is due first.

/** Min-heap of stations by the time of their next message (ties: station order, for determinism). */
export function createStationHeap () {
  const a: StationRun[] = []
  const less = (x: StationRun, y: StationRun) => {
    const d = x.head!.payload.ts - y.head!.payload.ts
    return d < 0 || (d === 0 && x.index < y.index)
  }
  const swap = (i: number, j: number) => { const t = a[i]!; a[i] = a[j]!; a[j] = t }
  return {
    get size () { return a.length },
    peek: () => a[0],
    push (r: StationRun) {
      a.push(r)
      for (let i = a.length - 1; i > 0;) {
        const p = (i - 1) >> 1
        if (!less(a[i]!, a[p]!)) break
        swap(i, p)
        i = p
      }
    },
    pop (): StationRun | undefined {
      const top = a[0]
      const last = a.pop()
      if (a.length > 0 && last !== undefined) {
        a[0] = last
        for (let i = 0; ;) {
          const l = 2 * i + 1
          const r = l + 1
          let m = i
          if (l < a.length && less(a[l]!, a[m]!)) m = l
          if (r < a.length && less(a[r]!, a[m]!)) m = r
          if (m === i) break
          swap(i, m)
          i = m
        }
      }
      return top
    }
  }
}
