// Time to empty from the learnt rates: walk forward hour by hour from the last known level,
// taking expected visits (the station's hour-of-week profile) × units per visit (by hour of
// day) × the weather factor of that day, until the level reaches the threshold and zero.
// Restocks after the level was read are added when they happened. Pure and cheap (at most
// horizon hours of arithmetic per item): the restock plan asks it for a whole city at once.
import { floorHour, HOUR_MS, hourOfDay, localHour } from './hour-of-week.ts'
import type { ItemRates, RestockMark, VisitProfile } from './consumption-model.ts'

export type ForecastInput = {
  level: number
  /** When `level` was read or counted (epoch ms). */
  levelAt: number
  threshold: number
  /** Shelf capacity: a restock fills the shelf at most up to it (default: no limit). */
  capacity?: number | null
  restocksAfter: readonly RestockMark[]
  profile: VisitProfile
  rates: ItemRates
  timeZone: string
  /** Multiplier of consumption on a local date (weather-driven items); default 1. */
  factor?: (date: string) => number
  now: number
  horizonHours: number
}

export type ForecastResult = {
  /** The level now, as expected from the last reading. */
  levelNow: number
  ratePerHour: number
  timeToEmptyHours: number | null
  timeToThresholdHours: number | null
  band: { low: number | null, high: number | null }
}

/** z of a two-sided 90 % interval. */
const Z90 = 1.645

/** Relative standard error of a rate learnt from `units` taken over `visits` visits (Poisson). */
export function relativeError (rates: ItemRates, profile: VisitProfile): number {
  return Math.sqrt(1 / Math.max(1, rates.consumed) + 1 / Math.max(1, profile.visits))
}

export function forecastItem (input: ForecastInput): ForecastResult {
  const base = walk(input, 1)
  const e = Z90 * relativeError(input.rates, input.profile)
  return {
    ...base,
    // More consumption than learnt empties the shelf sooner: the low end of the band.
    band: { low: walk(input, 1 + e).timeToEmptyHours, high: walk(input, Math.max(0.05, 1 - e)).timeToEmptyHours }
  }
}

function walk (input: ForecastInput, scale: number): Omit<ForecastResult, 'band'> {
  const { now, timeZone, profile, rates } = input
  const end = now + input.horizonHours * HOUR_MS
  const restocks = [...input.restocksAfter].filter((r) => r.t > input.levelAt).sort((a, b) => a.t - b.t)
  let level = input.level
  let levelNow = level
  let k = 0
  let t = input.levelAt
  let toThreshold: number | null = level <= input.threshold ? 0 : null
  let toEmpty: number | null = level <= 0 ? 0 : null
  let rateNext24 = 0
  const rateAt = (h: number) => {
    const { how, date } = localHour(h, timeZone)
    return profile.expected[how]! * rates.perVisitByHour[hourOfDay(how)]! * (input.factor?.(date) ?? 1) * scale
  }
  while (t < end && (toEmpty === null || toThreshold === null || t < now + 24 * HOUR_MS)) {
    const hourEnd = Math.min(floorHour(t) + HOUR_MS, Math.max(end, now + 24 * HOUR_MS))
    // Stop at a restock or at `now` inside the hour, so both land at the right moment.
    const nextRestock = restocks[k]?.t ?? Infinity
    const stop = Math.min(hourEnd, nextRestock, t < now ? now : Infinity)
    const rate = rateAt(floorHour(t))
    const used = rate * (stop - t) / HOUR_MS
    if (t >= now && stop <= now + 24 * HOUR_MS) rateNext24 += used / 24
    const crossing = (target: number) => (level > target && level - used <= target && rate > 0 ? t + (level - target) / rate * HOUR_MS : null)
    const atThreshold = crossing(input.threshold)
    const atEmpty = crossing(0)
    if (toThreshold === null && atThreshold !== null) toThreshold = Math.max(0, atThreshold - now) / HOUR_MS
    if (toEmpty === null && atEmpty !== null) toEmpty = Math.max(0, atEmpty - now) / HOUR_MS
    level = Math.max(0, level - used)
    t = stop
    if (t === now) levelNow = level
    while (restocks[k] !== undefined && restocks[k]!.t <= t) {
      level = Math.min(level + restocks[k]!.quantity, input.capacity ?? Infinity)
      // A restock before now undoes an earlier crossing: the shelf empties again later.
      if (restocks[k]!.t <= now) {
        toEmpty = level <= 0 ? 0 : null
        toThreshold = level <= input.threshold ? 0 : null
      }
      k++
    }
    if (t === now) levelNow = level
  }
  if (input.levelAt >= now) levelNow = input.level
  const clip = (h: number | null) => (h !== null && h > input.horizonHours ? null : h)
  return { levelNow: Math.round(levelNow), ratePerHour: rateNext24, timeToEmptyHours: clip(toEmpty), timeToThresholdHours: clip(toThreshold) }
}
