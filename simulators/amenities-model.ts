import type { Appliance } from '../contract/index.ts'
import type { DayPlan } from './day-model.ts'
import { localDay, zonedTimeToUtc } from './local-time.ts'
import { createRng, hashSeed } from './random.ts'
import type { Segment } from './worker-pool.ts'

// What the day's visitors use besides a seat: the microwave at meal times, phone chargers,
// the lights, and free supplies on the shelf (water, instant noodles, raincoats on wet days).
// Derived from the day plan with its own random stream, so it never changes who visits. The
// air conditioner is not here: it follows the room temperature (environment-model.ts).
//
// The shelf carries its level across midnight; it is restocked only as modelled: the morning
// round (08:00) refills what is at or below its reorder threshold (a quarter of the shelf, as
// the demo catalog says), and at 15:00 the donor's daily water delivery fills the water and the
// afternoon round tops up the rest. Everything is full after 15:00 whatever the morning held,
// so the level at midnight is the shelf full less the previous evening's takes: planning a day
// needs the previous day's visits only (deterministic, whichever day is planned first).


export type ApplianceUse = { appliance: Extract<Appliance, 'microwave' | 'charger' | 'light'>, unit: number, onMs: number, offMs: number, powerW: number }
export type SupplyItem = 'bottled-water' | 'instant-noodles' | 'raincoat'
/** A shelf reading: after a take or a restock, or the hourly report. */
export type SupplyReading = { ms: number, item: SupplyItem, quantity: number, capacity: number, cause: 'take' | 'restock' | 'hourly' }

export type AmenityPlan = {
  /** Appliance on/off intervals; an interval may start before or end after the day (lights). */
  uses: ApplianceUse[]
  /** Shelf readings ordered by ms (ties: the order they happened). */
  supply: SupplyReading[]
  /** Units taken per item. */
  taken: Record<SupplyItem, number>
  /** Takes that found the shelf empty. */
  stockouts: Record<SupplyItem, number>
  /** Restocks that added something. */
  restocks: number
  /** The level at the start of the day (carried from the previous evening) and at its end. */
  shelfStart: Record<SupplyItem, number>
  shelfEnd: Record<SupplyItem, number>
}

/** How to find the previous day (planDay): its visits, and a key naming it for the cache. */
export type PreviousDay = { key: string, previousDay: () => PlanCore }

const MIN = 60_000
const HOUR = 60 * MIN
export const SUPPLY_ITEMS: SupplyItem[] = ['bottled-water', 'instant-noodles', 'raincoat']
export const SHELF_CAPACITY: Record<SupplyItem, number> = { 'bottled-water': 48, 'instant-noodles': 24, raincoat: 12 }
/** Reorder threshold of the demo catalog (scripts/demo-fleet.ts): a quarter of the shelf. */
export const SHELF_THRESHOLD: Record<SupplyItem, number> = { 'bottled-water': 12, 'instant-noodles': 6, raincoat: 3 }
// Local wall time, minutes: the morning round refills what is low; at 15:00 the water delivery
// and the afternoon round fill everything.
const MORNING_ROUND = 8 * 60
const AFTERNOON = 15 * 60
const MEALS: Array<[number, number]> = [[10 * 60 + 30, 14 * 60], [16 * 60 + 30, 20 * 60 + 30]]
const BREAKFAST: [number, number] = [5 * 60 + 30, 7 * 60 + 30]
const P_MICROWAVE: Record<Segment, number> = { rider: 0.35, courier: 0.25, sanitation: 0.2, other: 0.1 }
const LIGHTS_OFF = 6 * 60 + 30
const LIGHTS_ON = 18 * 60 + 30

type PlanCore = Omit<DayPlan, 'amenities'>

/**
 * What the day's visitors use. The shelf starts the day at the previous evening's level (full
 * without `previous`).
 */
export function planAmenities (plan: PlanCore, previous?: PreviousDay): AmenityPlan {
  const start = previous === undefined ? { ...SHELF_CAPACITY } : levelAtMidnight(previous)
  return planDayAmenities(plan, start)
}

// End-of-day levels by PreviousDay.key: a simulator planning day after day plans each day's
// visits once. Small (three numbers a day) and bounded.
const endLevels = new Map<string, Record<SupplyItem, number>>()
const MAX_CACHED = 50_000

function levelAtMidnight (previous: PreviousDay): Record<SupplyItem, number> {
  const cached = endLevels.get(previous.key)
  if (cached !== undefined) return { ...cached }
  // After 15:00 the shelf is full whatever it held: the start level does not matter here.
  const end = planDayAmenities(previous.previousDay(), { ...SHELF_CAPACITY }).shelfEnd
  if (endLevels.size >= MAX_CACHED) endLevels.delete(endLevels.keys().next().value!)
  endLevels.set(previous.key, end)
  return { ...end }
}

function planDayAmenities (plan: PlanCore, start: Record<SupplyItem, number>): AmenityPlan {
  const rng = createRng(hashSeed(plan.seed, plan.stationId, plan.date, 'amenities'))
  const day = localDay(plan.date, plan.timeZone)
  const wall = (ms: number) => day.minuteOfDay(ms)
  const inWindow = (m: number, [a, b]: [number, number]) => m >= a && m < b
  const wet = plan.weather.condition === 'rain' || plan.weather.condition === 'storm'
  const hot = plan.weather.maxC >= 30

  const uses: ApplianceUse[] = []
  // Busy-until per unit: a second microwave and more chargers in bigger stations.
  const microwaves = new Array<number>(plan.capacity >= 12 ? 2 : 1).fill(-Infinity)
  const chargers = new Array<number>(plan.capacity >= 10 ? 4 : 2).fill(-Infinity)
  const microwaveW = Math.round(rng.uniform(700, 950))
  const takes: Array<{ ms: number, item: SupplyItem }> = []

  for (const v of plan.visits) {
    const m = wall(v.enterMs)
    const meal = MEALS.some((w) => inWindow(m, w)) || (v.segment === 'sanitation' && inWindow(m, BREAKFAST))
    if (meal && rng.chance(P_MICROWAVE[v.segment])) {
      // Heat food a minute or few after coming in; wait for a busy microwave if there is time.
      const want = v.enterMs + rng.int(60_000, 240_000)
      const unit = microwaves.indexOf(Math.min(...microwaves))
      const start = Math.max(want, (microwaves[unit] ?? 0) + rng.int(5_000, 20_000))
      const end = start + rng.int(90_000, 240_000)
      if (end < v.exitMs) {
        microwaves[unit] = end
        uses.push({ appliance: 'microwave', unit: unit + 1, onMs: start, offMs: end, powerW: microwaveW })
      }
    }
    if ((v.segment === 'rider' || v.segment === 'courier') && v.exitMs - v.enterMs > 5 * MIN && rng.chance(0.3)) {
      const start = v.enterMs + rng.int(30_000, 90_000)
      const unit = chargers.findIndex((busy) => busy < start)
      if (unit >= 0) {
        const end = v.exitMs - rng.int(10_000, 30_000)
        chargers[unit] = end
        uses.push({ appliance: 'charger', unit: unit + 1, onMs: start, offMs: end, powerW: Math.round(rng.uniform(10, 20)) })
      }
    }
    const takeAt = () => v.enterMs + rng.int(30_000, 180_000)
    if (rng.chance(hot ? 0.4 : 0.18)) takes.push({ ms: takeAt(), item: 'bottled-water' })
    if (rng.chance(meal ? 0.2 : 0.04)) takes.push({ ms: takeAt(), item: 'instant-noodles' })
    if (rng.chance(wet ? 0.12 : 0.004)) takes.push({ ms: takeAt(), item: 'raincoat' })
  }
  // Lights: on overnight; the interval of the evening runs past midnight into the next day.
  const at = (minutes: number) => zonedTimeToUtc(plan.date, minutes, plan.timeZone)
  uses.push({ appliance: 'light', unit: 1, onMs: day.startMs - HOUR, offMs: at(LIGHTS_OFF), powerW: 60 })
  uses.push({ appliance: 'light', unit: 1, onMs: at(LIGHTS_ON), offMs: day.endMs + HOUR, powerW: 60 })

  const shelfDay = shelf(day, takes, at, start)
  return { uses, ...shelfDay, restocks: shelfDay.supply.filter((r) => r.cause === 'restock').length }
}

type Day = ReturnType<typeof localDay>
type Shelf = Pick<AmenityPlan, 'supply' | 'taken' | 'stockouts' | 'shelfStart' | 'shelfEnd'>

function shelf (day: Day, takes: Array<{ ms: number, item: SupplyItem }>, at: (m: number) => number, start: Record<SupplyItem, number>): Shelf {
  const level = { ...start }
  const taken = { 'bottled-water': 0, 'instant-noodles': 0, raincoat: 0 }
  const stockouts = { ...taken }
  type Step = { ms: number, rank: number, apply: () => SupplyReading[] }
  const steps: Step[] = []
  const reading = (ms: number, item: SupplyItem, cause: SupplyReading['cause']): SupplyReading =>
    ({ ms, item, quantity: level[item], capacity: SHELF_CAPACITY[item], cause })
  for (let t = day.startMs; t < day.endMs; t += HOUR) {
    steps.push({ ms: t, rank: 0, apply: () => SUPPLY_ITEMS.map((item) => reading(t, item, 'hourly')) })
  }
  for (const [minutes, refills] of [[MORNING_ROUND, (item: SupplyItem) => level[item] <= SHELF_THRESHOLD[item]], [AFTERNOON, () => true]] as const) {
    const ms = at(minutes) + 60_000
    steps.push({
      ms,
      rank: 1,
      apply: () => SUPPLY_ITEMS.flatMap((item) => {
        if (level[item] === SHELF_CAPACITY[item] || !refills(item)) return []
        level[item] = SHELF_CAPACITY[item]
        return [reading(ms, item, 'restock')]
      })
    })
  }
  for (const take of takes) {
    if (take.ms >= day.endMs) continue
    steps.push({
      ms: take.ms,
      rank: 2,
      apply: () => {
        if (level[take.item] === 0) { stockouts[take.item]++; return [] }
        level[take.item]--
        taken[take.item]++
        return [reading(take.ms, take.item, 'take')]
      }
    })
  }
  steps.sort((a, b) => a.ms - b.ms || a.rank - b.rank)
  const supply = steps.flatMap((s) => s.apply())
  return { supply, taken, stockouts, shelfStart: { ...start }, shelfEnd: { ...level } }
}
