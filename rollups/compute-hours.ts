// Figures of each local hour (and of each open piece of an hour) folded in one event at a
// time: door counts, people-counter deltas, the occupancy step function, occupancy message
// slots and environment statistics. Events arrive per stream in time order, in chunks of any
// size (rollups/raw-events.ts), so memory depends on the number of hours, never on the
// number of events.
import { emptyAgg, QUANTITIES, SLOT_MS, type Agg } from './aggregate.ts'
import { inRange, type ComfortBand } from './comfort-band.ts'
import type { DoorRow, EnvironmentRow, OccupancyRow } from './raw-events.ts'

export type HourRow = {
  start: number
  end: number
  ymd: number
  /** Local wall-clock hour 0..23 (twice the same on a fall-back day). */
  hour: number
  /** Bit i set: an occupancy message arrived in the hour's i-th 5-minute slot. */
  mask: number
  /** Minutes of the hour inside the station's opening hours. */
  openMinutes: number
  agg: Agg
}

/** Figures of any interval of at most an hour or so (the slot mask has 31 bits). */
export type IntervalFigures = { start: number, end: number, mask: number, agg: Agg }

type Interval = IntervalFigures & { seen: Uint8Array }

/**
 * Accumulators for sorted, non-overlapping intervals (the hours of some days, or their open
 * pieces). `capacity` and `band` are those the figures are computed with.
 */
export function createIntervals (bounds: ReadonlyArray<{ start: number, end: number }>, capacity: number, band: ComfortBand) {
  const list: Interval[] = bounds.map((b) => {
    const agg = emptyAgg()
    agg.minutes = (b.end - b.start) / 60_000
    agg.occSlotsExpected = Math.ceil((b.end - b.start) / SLOT_MS)
    return { start: b.start, end: b.end, mask: 0, agg, seen: new Uint8Array(Math.ceil((b.end - b.start) / 60_000)) }
  })

  /** The interval containing t, or undefined. */
  function at (t: number): Interval | undefined {
    let lo = 0
    let hi = list.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const x = list[mid]!
      if (t < x.start) hi = mid - 1
      else if (t >= x.end) lo = mid + 1
      else return x
    }
    return undefined
  }

  /** First interval that ends after t. */
  function from (t: number): number {
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (list[mid]!.end <= t) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  return {
    door (d: DoorRow): void {
      const x = at(d.t)
      if (!x) return
      x.agg.doorEvents++
      if (!d.granted) x.agg.denied++
      else if (d.in) x.agg.entries++
    },
    /** A message that arrived inside an interval: its slot, counter deltas. */
    occupancyMessage (m: OccupancyRow): void {
      const x = at(m.t)
      if (!x) return
      x.mask |= 1 << Math.floor((m.t - x.start) / SLOT_MS)
      x.agg.occMessages++
      if (m.entered !== null) { x.agg.counterEntered += m.entered; x.agg.counterMsgs++ }
      if (m.exited !== null) x.agg.counterExited += m.exited
    },
    /** A count held from..until (a message's count until the next one, at most OCCUPANCY_STALE_MS). */
    occupancyHeld (count: number, start: number, until: number): void {
      for (let i = from(start); i < list.length && list[i]!.start < until; i++) {
        const x = list[i]!
        const ms = Math.min(until, x.end) - Math.max(start, x.start)
        if (ms <= 0) continue
        x.agg.occKnownMs += ms
        x.agg.occPersonMs += count * ms
        if (count >= capacity) x.agg.occFullMs += ms
        x.agg.occMax = Math.max(x.agg.occMax, count)
      }
    },
    environment (e: EnvironmentRow): void {
      const x = at(e.t)
      if (!x) return
      const a = x.agg
      a.envSamples++
      x.seen[Math.floor((e.t - x.start) / 60_000)] = 1
      let comfortable = true
      for (const q of QUANTITIES) {
        const v = e[q]
        if (v === null) continue
        const s = a[q]
        s.min = s.n === 0 ? v : Math.min(s.min, v)
        s.max = s.n === 0 ? v : Math.max(s.max, v)
        s.n++
        s.sum += v
        if (inRange(v, band[q])) s.inBand++
        else comfortable = false
      }
      if (comfortable) a.comfortSamples++
    },
    /** The intervals' figures, in order (call once every event is in). */
    finish (): IntervalFigures[] {
      return list.map(({ seen, ...x }) => {
        const a = x.agg
        for (let s = x.mask; s; s &= s - 1) a.occSlots++
        for (const m of seen) a.envMinutes += m
        if (a.counterEntered > 0 && a.entries === 0) a.doorSilentHours = 1
        return x
      })
    }
  }
}

export type Intervals = ReturnType<typeof createIntervals>
