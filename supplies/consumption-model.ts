// Learning what a station uses, from data only: level changes of each item against the
// station's visits (granted entries) hour by hour, restocks excluded. Pure: the readings, the
// hourly visits and the restocks come in, the learnt rates go out (supplies/supply-model.ts
// reads them from InfluxDB and the registry and keeps the result in memory).
//
//   consumption per visit by local hour of day: units taken in the hours of that hour of day
//     in which the shelf was not empty, over the visits of those hours, shrunk towards the
//     item's overall rate when an hour has few visits (SHRINK_VISITS);
//   expected visits by hour of week: the mean of that hour of week; with less than a week of
//     history, the mean of that hour of day on days of the same kind (weekday/weekend), else
//     of that hour of day.
import { floorHour, HOUR_MS, hourOfDay, isWeekend, localHour } from './hour-of-week.ts'

export type Reading = { t: number, quantity: number, capacity: number | null }
export type RestockMark = { t: number, quantity: number }
/** A sensor jump upward: a restock, logged or not. */
export type Jump = { t: number, quantity: number, before: number, after: number }

/** Visits an hour of day needs before its own rate outweighs the item's overall rate. */
export const SHRINK_VISITS = 30

export type ItemRates = {
  /** Units per visit, overall. */
  perVisit: number
  /** Units per visit by local hour of day (24). */
  perVisitByHour: Float64Array
  /** Units taken and visits while the shelf held some: what the rates were learnt from. */
  consumed: number
  visits: number
  /** Units and visits by local date, for weather-driven items (weather/day-class ratios). */
  byDate: Map<string, { consumed: number, visits: number }>
}

export type VisitProfile = {
  /** Expected visits in each local hour of week (168). */
  expected: Float64Array
  /** Visits and hours of history it was learnt from. */
  visits: number
  hours: number
}

/** Expected visits per hour of week from hourly visit counts (keys: UTC hour start). */
export function visitProfile (hourly: ReadonlyMap<number, number>, timeZone: string): VisitProfile {
  const sum = { how: new Float64Array(168), hodKind: new Float64Array(48), hod: new Float64Array(24) }
  const n = { how: new Float64Array(168), hodKind: new Float64Array(48), hod: new Float64Array(24) }
  let visits = 0
  // Hours before the station's first visit are not history (fill(0) pads the window with them).
  let first = Infinity
  for (const [t, v] of hourly) if (v > 0 && t < first) first = t
  let hours = 0
  for (const [t, v] of hourly) {
    if (t < first) continue
    hours++
    const { how } = localHour(t, timeZone)
    const hod = hourOfDay(how)
    const kind = (isWeekend(how) ? 24 : 0) + hod
    sum.how[how]! += v; n.how[how]!++
    sum.hodKind[kind]! += v; n.hodKind[kind]!++
    sum.hod[hod]! += v; n.hod[hod]!++
    visits += v
  }
  const expected = new Float64Array(168)
  for (let how = 0; how < 168; how++) {
    const hod = hourOfDay(how)
    const kind = (isWeekend(how) ? 24 : 0) + hod
    expected[how] = n.how[how]! > 0 ? sum.how[how]! / n.how[how]! : n.hodKind[kind]! > 0 ? sum.hodKind[kind]! / n.hodKind[kind]! : n.hod[hod]! > 0 ? sum.hod[hod]! / n.hod[hod]! : 0
  }
  return { expected, visits, hours }
}

/**
 * One item's rates from its sensor readings (time order) against hourly visits. Upward jumps are
 * restocks: excluded from consumption and returned for the restock log.
 */
export function learnFromReadings (readings: readonly Reading[], hourly: ReadonlyMap<number, number>, timeZone: string): { rates: ItemRates, jumps: Jump[] } {
  const consumedInHour = new Map<number, number>()
  const levelAtHour = new Map<number, number>()
  const jumps: Jump[] = []
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!
    const prev = readings[i - 1]
    if (prev !== undefined) {
      // Hours that start between the two readings found the shelf at prev's level.
      for (let h = floorHour(prev.t) + HOUR_MS; h <= r.t; h += HOUR_MS) levelAtHour.set(h, prev.quantity)
      const delta = r.quantity - prev.quantity
      if (delta < 0) consumedInHour.set(floorHour(r.t), (consumedInHour.get(floorHour(r.t)) ?? 0) - delta)
      else if (delta > 0) jumps.push({ t: r.t, quantity: delta, before: prev.quantity, after: r.quantity })
    } else if (r.t === floorHour(r.t)) {
      levelAtHour.set(r.t, r.quantity)
    }
  }
  return { rates: rates(hourly, timeZone, (h) => {
    const level = levelAtHour.get(h)
    // An hour begun with an empty shelf, or before the first reading, says nothing about demand.
    return level === undefined || level === 0 ? null : consumedInHour.get(h) ?? 0
  }), jumps }
}

/**
 * Rates from hand counts: what went between two counts (restocks in between added) over the
 * visits in between, spread evenly over the hours.
 */
export function learnFromCounts (counts: readonly Reading[], restocks: readonly RestockMark[], hourly: ReadonlyMap<number, number>, timeZone: string): ItemRates {
  const perHour = new Map<number, number>()
  for (let i = 1; i < counts.length; i++) {
    const a = counts[i - 1]!
    const b = counts[i]!
    const added = restocks.filter((r) => r.t > a.t && r.t <= b.t).reduce((s, r) => s + r.quantity, 0)
    const used = Math.max(0, a.quantity + added - b.quantity)
    let visits = 0
    for (let h = floorHour(a.t); h < b.t; h += HOUR_MS) visits += hourly.get(h) ?? 0
    for (let h = floorHour(a.t); h < b.t; h += HOUR_MS) perHour.set(h, visits > 0 ? used * (hourly.get(h) ?? 0) / visits : 0)
  }
  return rates(hourly, timeZone, (h) => perHour.get(h) ?? null)
}

function rates (hourly: ReadonlyMap<number, number>, timeZone: string, consumedIn: (h: number) => number | null): ItemRates {
  const c = new Float64Array(24)
  const v = new Float64Array(24)
  const byDate = new Map<string, { consumed: number, visits: number }>()
  for (const [h, visits] of hourly) {
    const used = consumedIn(h)
    if (used === null) continue
    const { how, date } = localHour(h, timeZone)
    c[hourOfDay(how)]! += used
    v[hourOfDay(how)]! += visits
    const d = byDate.get(date) ?? { consumed: 0, visits: 0 }
    d.consumed += used; d.visits += visits
    byDate.set(date, d)
  }
  const consumed = c.reduce((a, x) => a + x, 0)
  const visits = v.reduce((a, x) => a + x, 0)
  const perVisit = visits > 0 ? consumed / visits : 0
  const perVisitByHour = Float64Array.from(c, (ch, hod) => (ch + SHRINK_VISITS * perVisit) / (v[hod]! + SHRINK_VISITS))
  return { perVisit, perVisitByHour, consumed, visits, byDate }
}

/** Rates of several stations pooled (a district's, for a station without history). */
export function poolRates (all: readonly ItemRates[]): ItemRates | null {
  const usable = all.filter((r) => r.visits > 0)
  if (usable.length === 0) return null
  const consumed = usable.reduce((a, r) => a + r.consumed, 0)
  const visits = usable.reduce((a, r) => a + r.visits, 0)
  const perVisit = consumed / visits
  // Per hour of day: each station's shrunk rate weighted by its visits.
  const perVisitByHour = new Float64Array(24)
  for (let hod = 0; hod < 24; hod++) perVisitByHour[hod] = usable.reduce((a, r) => a + r.perVisitByHour[hod]! * r.visits, 0) / visits
  return { perVisit, perVisitByHour, consumed, visits, byDate: new Map() }
}
