// The summable figures of a stretch of station time (an hour, a day, a month): counts, time
// integrals and value statistics that add up exactly, so the figures of a month from daily
// rollups equal the figures computed from the month's raw events. Ratios (means, shares,
// utilisation) are derived at the very end, never stored or averaged.

/** Statistics of one environment quantity; inBand counts samples inside the comfort band. */
export type Stat = { n: number, sum: number, min: number, max: number, inBand: number }

export type Agg = {
  /** Length of the time covered, in minutes (a 25 h day is 1500). */
  minutes: number
  /** Granted entries (door in/granted), refused door events, all door events. */
  entries: number
  denied: number
  doorEvents: number
  /** People-counter deltas summed from occupancy messages; counterMsgs = messages carrying `entered`. */
  counterEntered: number
  counterExited: number
  counterMsgs: number
  /** Occupancy messages received (all of them, heartbeats included): the plausibility check's count. */
  occMessages: number
  /** Occupancy as a step function: time with a known count, ∫count dt, time at or over capacity (ms). */
  occKnownMs: number
  occPersonMs: number
  occFullMs: number
  occMax: number
  /** 5-minute slots that had at least one occupancy message, of those expected. */
  occSlots: number
  occSlotsExpected: number
  /** Runs of missing slots (per day) and the longest, in minutes. */
  occGaps: number
  occLongestGapMin: number
  /** Hours in which the people counter saw entries but the door granted none. */
  doorSilentHours: number
  /** Minutes with at least one environment sample; all samples; samples with every value in band. */
  envMinutes: number
  envSamples: number
  comfortSamples: number
  temperature: Stat
  humidity: Stat
  co2: Stat
  pm25: Stat
}

export const QUANTITIES = ['temperature', 'humidity', 'co2', 'pm25'] as const
export type Quantity = typeof QUANTITIES[number]

export const COUNT_KEYS = [
  'minutes', 'entries', 'denied', 'doorEvents', 'counterEntered', 'counterExited', 'counterMsgs',
  'occKnownMs', 'occPersonMs', 'occFullMs', 'occSlots', 'occSlotsExpected', 'occGaps', 'doorSilentHours',
  'envMinutes', 'envSamples', 'comfortSamples', 'occMessages'
] as const satisfies ReadonlyArray<keyof Agg>
export type CountKey = typeof COUNT_KEYS[number]
/** Fields combined by max rather than by sum. */
export const MAX_KEYS = ['occMax', 'occLongestGapMin'] as const satisfies ReadonlyArray<keyof Agg>
export type MaxKey = typeof MAX_KEYS[number]

export const emptyStat = (): Stat => ({ n: 0, sum: 0, min: 0, max: 0, inBand: 0 })

export function emptyAgg (): Agg {
  const a = { temperature: emptyStat(), humidity: emptyStat(), co2: emptyStat(), pm25: emptyStat() } as Agg
  for (const k of COUNT_KEYS) a[k] = 0
  for (const k of MAX_KEYS) a[k] = 0
  return a
}

export function addStat (into: Stat, s: Stat): void {
  if (s.n === 0) return
  into.min = into.n === 0 ? s.min : Math.min(into.min, s.min)
  into.max = into.n === 0 ? s.max : Math.max(into.max, s.max)
  into.n += s.n
  into.sum += s.sum
  into.inBand += s.inBand
}

/** into += a (mutates `into`). */
export function addAgg (into: Agg, a: Agg): Agg {
  for (const k of COUNT_KEYS) into[k] += a[k]
  for (const k of MAX_KEYS) into[k] = Math.max(into[k], a[k])
  for (const q of QUANTITIES) addStat(into[q], a[q])
  return into
}

export const SLOT_MS = 5 * 60_000

/**
 * Gaps in the occupancy stream over consecutive hours: maximal runs of 5-minute slots without
 * an occupancy message (the contract asks for one at least every 5 minutes). Runs continue
 * across adjacent hours and stop at a hour that is not in the list (closed, or another day).
 */
export function gapsOf (hours: ReadonlyArray<{ start: number, end: number, mask: number }>): { gaps: number, longestMin: number } {
  let gaps = 0
  let longest = 0
  let run = 0
  let prevEnd = Number.NaN
  const close = () => { if (run > 0) { gaps++; longest = Math.max(longest, run) } run = 0 }
  for (const h of hours) {
    if (h.start !== prevEnd) close()
    const slots = Math.ceil((h.end - h.start) / SLOT_MS)
    for (let i = 0; i < slots; i++) {
      if (h.mask & (1 << i)) close()
      else run += Math.min(SLOT_MS, h.end - h.start - i * SLOT_MS)
    }
    prevEnd = h.end
  }
  close()
  return { gaps, longestMin: longest / 60_000 }
}
