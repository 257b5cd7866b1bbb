// A shelf that empties over several days, with a known consumption per visit by local hour
// of day, for the supplies forecast (docs/supplies.md). The everyday shelf of
// amenities-model.ts is filled every afternoon, so it rarely shows a time to empty; this one
// carries its level from day to day and is refilled only when the
// staff's round finds it at or below the threshold.
//
// Takes follow the day plan's visits: each visit adds the item's units per visit for its
// hour to an accumulator and a unit is taken whenever the accumulator passes a whole unit
// (systematic sampling: over any stretch of visits the units taken are their expected sum
// within one unit). Ground truth: the true rates, the level at any instant, and the true time
// to empty from expected (not realised) arrivals: arrival-profile.ts's density × the day's
// expected arrivals, less the strangers the door refuses.
import { totalDensity, WEEKEND_FACTOR } from './arrival-profile.ts'
import { LAST_ARRIVAL_MS, P_STRANGER, type DayPlan } from './day-model.ts'
import { addDays, dayOfWeek, localDay, localDateOf, zonedParts, zonedTimeToUtc } from './local-time.ts'
import { createRng, hashSeed } from './random.ts'

export type DepletionItem = {
  item: string
  capacity: number
  threshold: number
  /** True units per visit by local hour of day (24). */
  perVisitByHour: readonly number[]
}
export type ShelfReading = { ms: number, item: string, quantity: number, capacity: number, cause: 'take' | 'restock' | 'hourly' }
export type ShelfRestock = { ms: number, item: string, quantity: number, after: number }

const MIN = 60_000
const HOUR = 60 * MIN

/** Staff rounds, local minutes of the day: refill what is at or below its threshold. */
export const ROUNDS = [8 * 60, 15 * 60]

export function simulateShelf (opts: { stationId: string, seed: number | string, timeZone: string, plans: readonly DayPlan[], items: readonly DepletionItem[] }) {
  const { plans, items, timeZone } = opts
  const rng = createRng(hashSeed(opts.seed, opts.stationId, 'shelf-depletion'))
  const level = new Map(items.map((i) => [i.item, i.capacity]))
  const acc = new Map(items.map((i) => [i.item, rng.next()]))
  const readings: ShelfReading[] = []
  const restocks: ShelfRestock[] = []
  type Step = { ms: number, rank: number, run: () => void }
  const steps: Step[] = []
  const read = (ms: number, it: DepletionItem, cause: ShelfReading['cause']) =>
    readings.push({ ms, item: it.item, quantity: level.get(it.item)!, capacity: it.capacity, cause })
  for (const plan of plans) {
    for (let t = plan.startMs; t < plan.endMs; t += HOUR) steps.push({ ms: t, rank: 0, run: () => { for (const it of items) read(t, it, 'hourly') } })
    for (const minutes of ROUNDS) {
      const ms = zonedTimeToUtc(plan.date, minutes, timeZone) + MIN
      steps.push({
        ms,
        rank: 1,
        run: () => {
          for (const it of items) {
            const before = level.get(it.item)!
            if (before > it.threshold) continue
            level.set(it.item, it.capacity)
            restocks.push({ ms, item: it.item, quantity: it.capacity - before, after: it.capacity })
            read(ms, it, 'restock')
          }
        }
      })
    }
    for (const v of plan.visits) {
      const hour = zonedParts(v.enterMs, timeZone).hour
      for (const it of items) {
        const a = acc.get(it.item)! + it.perVisitByHour[hour]!
        const units = Math.floor(a)
        acc.set(it.item, a - units)
        for (let u = 0; u < units; u++) {
          const ms = v.enterMs + rng.int(30_000, 180_000)
          steps.push({
            ms,
            rank: 2,
            run: () => {
              const q = level.get(it.item)!
              if (q === 0) return
              level.set(it.item, q - 1)
              read(ms, it, 'take')
            }
          })
        }
      }
    }
  }
  steps.sort((a, b) => a.ms - b.ms || a.rank - b.rank)
  for (const s of steps) s.run()

  return {
    readings,
    restocks,
    /** The level of an item just after `ms` (readings up to and including ms). */
    levelAt (item: string, ms: number): number {
      let q = items.find((i) => i.item === item)!.capacity
      for (const r of readings) if (r.item === item && r.ms <= ms) q = r.quantity
      return q
    }
  }
}

/** Expected granted visits minute by minute from `fromMs`, with the local hour of each minute. */
function * visitRate (fromMs: number, opts: { timeZone: string, busyness: number, visitFactor?: number }): Generator<{ t: number, visits: number, hour: number }> {
  let date = localDateOf(fromMs, opts.timeZone)
  for (;;) {
    const day = localDay(date, opts.timeZone)
    const weekday = dayOfWeek(date)
    const expected = opts.busyness * (weekday === 0 || weekday === 6 ? WEEKEND_FACTOR : 1) * (opts.visitFactor ?? 1) * (1 - P_STRANGER)
    const first = Math.max(day.startMs, day.startMs + Math.ceil((fromMs - day.startMs) / MIN) * MIN)
    for (let t = first; t < day.endMs; t += MIN) {
      const wall = day.minuteOfDay(t)
      // Nobody arrives in the last minutes of a day (day-model.ts).
      yield { t, visits: t >= day.endMs - LAST_ARRIVAL_MS ? 0 : expected * totalDensity(wall), hour: Math.floor(wall / 60) }
    }
    date = addDays(date, 1)
  }
}

/** Expected granted visits in [fromMs, toMs) at a station of `busyness` (ordinary weather unless visitFactor). */
export function expectedVisits (fromMs: number, toMs: number, opts: { timeZone: string, busyness: number, visitFactor?: number }): number {
  let sum = 0
  for (const m of visitRate(fromMs, opts)) {
    if (m.t >= toMs) break
    sum += m.visits
  }
  return sum
}

/** True hours from `fromMs` until `level` units are used up (no restock), or null past maxHours. */
export function trueTimeToEmpty (level: number, fromMs: number, item: DepletionItem, opts: { timeZone: string, busyness: number, visitFactor?: number }, maxHours = 24 * 14): number | null {
  let used = 0
  for (const m of visitRate(fromMs, opts)) {
    if (m.t >= fromMs + maxHours * HOUR) return null
    const rate = m.visits * item.perVisitByHour[m.hour]!
    if (used + rate >= level) return (m.t - fromMs + (level - used) / rate * MIN) / HOUR
    used += rate
  }
  return null
}
