// Figures of each local hour of one day from raw events: door counts, people-counter deltas,
// the occupancy step function, occupancy message slots and environment statistics.
import { emptyAgg, QUANTITIES, SLOT_MS, type Agg } from './aggregate.ts'
import { inRange, type ComfortBand } from './comfort-band.ts'
import type { LocalDay } from './day-bounds.ts'
import type { Piece } from './opening-hours.ts'
import { OCCUPANCY_STALE_MS, type RawEvents } from './raw-events.ts'

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

/** First index whose t is >= `t` (rows sorted by t). */
export function lowerBound (rows: ReadonlyArray<{ t: number }>, t: number): number {
  let lo = 0
  let hi = rows.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (rows[mid]!.t < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function intervalFigures (start: number, end: number, raw: RawEvents, capacity: number, band: ComfortBand): IntervalFigures {
  const a = emptyAgg()
  a.minutes = (end - start) / 60_000

  for (let i = lowerBound(raw.door, start); i < raw.door.length && raw.door[i]!.t < end; i++) {
    const d = raw.door[i]!
    a.doorEvents++
    if (!d.granted) a.denied++
    else if (d.in) a.entries++
  }

  // Occupancy: each message's count holds until the next message, at most OCCUPANCY_STALE_MS;
  // the message in force at the start of the hour may be older than the hour.
  let mask = 0
  const occ = raw.occupancy
  for (let i = Math.max(0, lowerBound(occ, start) - 1); i < occ.length && occ[i]!.t < end; i++) {
    const m = occ[i]!
    const until = Math.min(occ[i + 1]?.t ?? Infinity, m.t + OCCUPANCY_STALE_MS)
    const from = Math.max(m.t, start)
    const to = Math.min(until, end)
    if (to > from) {
      a.occKnownMs += to - from
      a.occPersonMs += m.count * (to - from)
      if (m.count >= capacity) a.occFullMs += to - from
      a.occMax = Math.max(a.occMax, m.count)
    }
    if (m.t < start) continue
    mask |= 1 << Math.floor((m.t - start) / SLOT_MS)
    if (m.entered !== null) { a.counterEntered += m.entered; a.counterMsgs++ }
    if (m.exited !== null) a.counterExited += m.exited
  }
  a.occSlotsExpected = Math.ceil((end - start) / SLOT_MS)
  for (let s = mask; s; s &= s - 1) a.occSlots++
  if (a.counterEntered > 0 && a.entries === 0) a.doorSilentHours = 1

  const minutes = new Uint8Array(Math.ceil((end - start) / 60_000))
  for (let i = lowerBound(raw.environment, start); i < raw.environment.length && raw.environment[i]!.t < end; i++) {
    const e = raw.environment[i]!
    a.envSamples++
    minutes[Math.floor((e.t - start) / 60_000)] = 1
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
  }
  for (const m of minutes) a.envMinutes += m
  return { start, end, mask, agg: a }
}

/**
 * One row per local hour of `day`, empty hours included, and the figures of the open part of
 * each hour (`openByHour[i]`: the pieces of hour i inside opening hours).
 */
export function computeHours (day: LocalDay, raw: RawEvents, capacity: number, band: ComfortBand, openByHour: ReadonlyArray<readonly Piece[]>): { hours: HourRow[], open: IntervalFigures[] } {
  const hours: HourRow[] = []
  const open: IntervalFigures[] = []
  day.hours.forEach((slot, i) => {
    const f = intervalFigures(slot.start, slot.end, raw, capacity, band)
    const pieces = openByHour[i] ?? []
    let openMs = 0
    for (const p of pieces) {
      openMs += p.end - p.start
      open.push(p.start === slot.start && p.end === slot.end ? f : intervalFigures(p.start, p.end, raw, capacity, band))
    }
    hours.push({ start: slot.start, end: slot.end, ymd: day.ymd, hour: slot.hour, mask: f.mask, openMinutes: openMs / 60_000, agg: f.agg })
  })
  return { hours, open }
}
