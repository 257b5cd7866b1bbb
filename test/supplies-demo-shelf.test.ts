// The demo's shelf (simulators/amenities-model.ts, published by `npm run demo`) carries its level
// across midnight: a day starts where the previous evening ended, whichever day is planned
// first, and the level only ever rises at a modelled restock (the morning round refilling what
// is at or below its threshold, the 15:00 water delivery and afternoon round). Before, every day
// started full: the supply model saw a jump at each midnight and recorded an unlogged restock.
import { describe, expect, it } from 'vitest'
import { DEMO_STATIONS } from '../scripts/demo-fleet.ts'
import { SHELF_CAPACITY, SHELF_THRESHOLD, SUPPLY_ITEMS, type SupplyReading } from '../simulators/amenities-model.ts'
import { planDay, type DayPlan } from '../simulators/day-model.ts'
import { addDays, localDateOf, zonedParts } from '../simulators/local-time.ts'
import { createWorkerPool } from '../simulators/worker-pool.ts'

const TZ = 'Asia/Shanghai'
const DAYS = 4

function plansOf (station: (typeof DEMO_STATIONS)[number], first: string): DayPlan[] {
  const seed = `demo-${station.id}`
  const workerPool = createWorkerPool({ seed, stationId: station.id, size: Math.max(10, Math.round(station.busyness / 4)) })
  const dates = Array.from({ length: DAYS }, (_, i) => addDays(first, i))
  // Planned last day first: each day's start comes from its predecessor's visits, not from a
  // simulation that went through the days in order.
  const plans = dates.toReversed().map((date) => planDay({ stationId: station.id, seed, date, timeZone: TZ, busyness: station.busyness, capacity: station.capacity!, workerPool }))
  return plans.toReversed()
}

describe('the demo shelf across days', () => {
  const first = addDays(localDateOf(Date.now(), TZ), -10)

  for (const station of [DEMO_STATIONS[0]!, DEMO_STATIONS.at(-1)!]) {
    it(`${station.id}: no upward jump at midnight; the level rises only at a modelled restock`, () => {
      const plans = plansOf(station, first)
      for (const item of SUPPLY_ITEMS) {
        const readings: SupplyReading[] = plans.flatMap((p) => p.amenities.supply.filter((r) => r.item === item))
        for (let d = 1; d < DAYS; d++) {
          const lastBefore = plans[d - 1]!.amenities.supply.filter((r) => r.item === item).at(-1)!
          const firstOf = plans[d]!.amenities.supply.find((r) => r.item === item)!
          expect(firstOf.ms).toBe(plans[d]!.startMs)
          expect(firstOf.quantity, `${item} at the midnight before ${plans[d]!.date}`).toBe(lastBefore.quantity)
          expect(plans[d]!.amenities.shelfStart[item]).toBe(plans[d - 1]!.amenities.shelfEnd[item])
        }
        for (let i = 1; i < readings.length; i++) {
          const [a, b] = [readings[i - 1]!, readings[i]!]
          if (b.quantity <= a.quantity) continue
          expect(b.cause, `${item} rose at ${new Date(b.ms).toISOString()}`).toBe('restock')
          expect(b.quantity).toBe(SHELF_CAPACITY[item])
          const { hour, minute } = zonedParts(b.ms, TZ)
          expect([[8, 1], [15, 1]]).toContainEqual([hour, minute])
          // The morning round refills only what is low.
          if (hour === 8) expect(a.quantity).toBeLessThanOrEqual(SHELF_THRESHOLD[item])
        }
      }
      // Somewhere in these days a shelf starts a day not full (else the test shows nothing).
      expect(plans.slice(1).some((p) => SUPPLY_ITEMS.some((i) => p.amenities.shelfStart[i] < SHELF_CAPACITY[i]))).toBe(true)
    })
  }

  it('is deterministic: the same days planned again give the same readings', () => {
    const station = DEMO_STATIONS[1]!
    const a = plansOf(station, first).map((p) => p.amenities.supply)
    const b = plansOf(station, first).map((p) => p.amenities.supply)
    expect(b).toEqual(a)
  })
})
