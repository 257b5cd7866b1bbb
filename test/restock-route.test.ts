// The restock route optimiser against brute force, and the plan's trips against capacity.
import { describe, expect, it } from 'vitest'
import { createRng } from '../simulators/random.ts'
import { exactTour } from '../supplies/plan/exact-tour.ts'
import { distanceMatrix, haversineKm, tourLength, type DistanceMatrix } from '../supplies/plan/geo.ts'
import { heuristicTour } from '../supplies/plan/local-search.ts'
import type { PlanInput } from '../supplies/plan/plan-input.ts'
import { buildRestockPlan, type PlanStation } from '../supplies/plan/restock-plan.ts'

function bruteForce (m: DistanceMatrix, stops: number[]): number {
  let best = Infinity
  const perm = (rest: number[], acc: number[]) => {
    if (rest.length === 0) { best = Math.min(best, tourLength(m, 0, acc)); return }
    for (let i = 0; i < rest.length; i++) perm([...rest.slice(0, i), ...rest.slice(i + 1)], [...acc, rest[i]!])
  }
  perm(stops, [])
  return best
}

const rng = createRng('restock-route')
const city = (k: number) => Array.from({ length: k + 1 }, () => ({ lat: 22.55 + rng.uniform(-0.1, 0.1), lon: 114.05 + rng.uniform(-0.12, 0.12) }))

describe('route optimiser', () => {
  it('haversine: Shenzhen to Guangzhou is ~104 km', () => {
    expect(haversineKm({ lat: 22.5431, lon: 114.0579 }, { lat: 23.1291, lon: 113.2644 })).toBeCloseTo(104.6, 0)
  })

  it('200 random instances of 4-9 stops: the planner route (exact) and the heuristic alone vs brute force', () => {
    const ratios = { plan: [] as number[], heuristic: [] as number[] }
    for (let i = 0; i < 200; i++) {
      const k = rng.int(4, 9)
      const m = distanceMatrix(city(k))
      const stops = Array.from({ length: k }, (_, j) => j + 1)
      const opt = bruteForce(m, stops)
      const plan = exactTour(m, 0, stops)
      expect([...plan].sort((a, b) => a - b)).toEqual(stops)
      ratios.plan.push(tourLength(m, 0, plan) / opt)
      ratios.heuristic.push(tourLength(m, 0, heuristicTour(m, 0, stops)) / opt)
    }
    for (const r of Object.values(ratios)) {
      const mean = r.reduce((a, b) => a + b, 0) / r.length
      expect(mean).toBeLessThanOrEqual(1.02)
      expect(Math.max(...r)).toBeLessThanOrEqual(1.10)
    }
    expect(Math.max(...ratios.plan)).toBeLessThan(1 + 1e-9)
  })

  it('heuristic visits every stop once on 1,000 stops and beats nearest neighbour alone', () => {
    const m = distanceMatrix(city(1000))
    const stops = Array.from({ length: 1000 }, (_, j) => j + 1)
    const order = heuristicTour(m, 0, stops)
    expect(new Set(order).size).toBe(1000)
    // Nearest neighbour is the heuristic's start: with zero time it returns that.
    const nn = heuristicTour(m, 0, stops, { deadline: 0 })
    expect(tourLength(m, 0, order)).toBeLessThan(tourLength(m, 0, nn) * 0.95)
  })
})

const item = (stationId: string, i: Partial<PlanInput> = {}): PlanInput => ({
  stationId, item: 'bottled-water', nameZh: '瓶装水', nameEn: 'Bottled water', unit: '瓶', level: 5, capacity: 48, threshold: 12,
  timeToThresholdHours: 0, timeToEmptyHours: 10, band: { low: 8, high: 12 }, ...i
})

describe('trips', () => {
  const stations: PlanStation[] = city(60).slice(1).map((p, i) => ({ id: `sz-${i}`, name: `驿站 ${i}`, address: '', district: '福田区', ...p }))
  const depot = { lat: 22.55, lon: 114.05, stationId: null, name: null }

  it('every trip holds at most the vehicle capacity; every unit is planned once', () => {
    const inputs = stations.map((s) => item(s.id, { level: rng.int(0, 20), timeToEmptyHours: rng.uniform(0, 30) }))
    for (const capacity of [48, 100, 250, 1000]) {
      const plan = buildRestockPlan(inputs, stations, [], { depot, horizonHours: 24, urgentHours: 6, capacity, now: 0 })
      for (const t of plan.trips) {
        expect(t.load).toBeLessThanOrEqual(capacity)
        expect(t.load).toBe(t.stops.reduce((n, s) => n + s.items.reduce((q, i) => q + i.quantity, 0), 0))
        expect(t.distanceKm).toBeCloseTo(t.stops.reduce((n, s) => n + s.legKm, 0) + t.returnKm, 1)
      }
      expect(plan.trips.reduce((n, t) => n + t.load, 0)).toBe(inputs.reduce((n, i) => n + i.capacity - i.level, 0))
      // Urgent stops ride trips that leave before any trip without one.
      const urgentTrips = plan.trips.map((t) => t.stops.some((s) => s.priority !== 'due'))
      expect(urgentTrips.indexOf(false) === -1 || urgentTrips.lastIndexOf(true) < urgentTrips.indexOf(false)).toBe(true)
    }
  })

  it('a station needing more than the vehicle holds is split across trips, with a note', () => {
    const inputs = [item('sz-0', { level: 0, capacity: 130 }), item('sz-1', { level: 40 })]
    const plan = buildRestockPlan(inputs, stations, [], { depot, horizonHours: 24, urgentHours: 6, capacity: 50, now: 0 })
    const visits = plan.trips.flatMap((t) => t.stops).filter((s) => s.stationId === 'sz-0')
    expect(visits.map((v) => v.load).sort()).toEqual([30, 50, 50])
    expect(visits[0]!.note).toMatch(/split: 130 units, vehicle holds 50/)
    for (const t of plan.trips) expect(t.load).toBeLessThanOrEqual(50)
  })

  it('a station without coordinates is listed as unroutable, not dropped', () => {
    const noGeo = { ...stations[0]!, id: 'sz-nogeo', lat: null, lon: null }
    const plan = buildRestockPlan([item('sz-nogeo'), item('sz-1')], [...stations, noGeo], [], { depot, horizonHours: 24, urgentHours: 6, capacity: null, now: 0 })
    expect(plan.unroutable).toMatchObject([{ stationId: 'sz-nogeo', reason: 'no_coordinates', items: [{ item: 'bottled-water', quantity: 43 }] }])
    expect(plan.trips.flatMap((t) => t.stops.map((s) => s.stationId))).toEqual(['sz-1'])
  })
})
