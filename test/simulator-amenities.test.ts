import { describe, expect, it } from 'vitest'
import { channels, type AnyEvent } from '../contract/index.ts'
import { SUPPLY_ITEMS } from '../simulators/amenities-model.ts'
import { dayEvents, eventsForDay } from '../simulators/day-events.ts'
import { planDay, type PlanDayOptions } from '../simulators/day-model.ts'
import { drifted, faultsFor, parseDuration, parseFault, skewAt } from '../simulators/faults.ts'
import { fleetSpec } from '../simulators/fleet-spec.ts'
import { createStationRun } from '../simulators/fleet-station.ts'
import { dayTruth, expectedDailyFigures } from '../simulators/ground-truth.ts'
import { addDays } from '../simulators/local-time.ts'
import { weatherFor, type DayWeather } from '../simulators/weather.ts'
import { createWorkerPool } from '../simulators/worker-pool.ts'

const base: PlanDayOptions = {
  stationId: 'sz-0001',
  seed: 7,
  date: '2026-07-14',
  timeZone: 'Asia/Shanghai',
  busyness: 350,
  capacity: 14,
  workerPool: createWorkerPool({ seed: 7, stationId: 'sz-0001', size: 90 })
}
const hub = { door: { deviceId: 'sz-0001-hub', seq: 0 }, sensors: { deviceId: 'sz-0001-hub', seq: 0 }, shelf: { deviceId: 'sz-0001-hub', seq: 0 } }
const ordinary: DayWeather = { condition: 'cloudy', meanC: 22, maxC: 27, humidityDelta: 0, smog: 1, visitFactor: 1, dwellFactor: 1 }
const of = <C extends AnyEvent['channel']>(events: AnyEvent[], c: C) => events.filter((e) => e.channel === c).map((e) => e.payload as Extract<AnyEvent, { channel: C }>['payload'])
const localMinute = (ms: number) => ((ms / 60_000 + 8 * 60) % 1440)

describe('weather', () => {
  it('is deterministic, shared by a region, seasonal, with rainy and hot days in summer', () => {
    expect(weatherFor(1, 'sz', '2026-07-14')).toEqual(weatherFor(1, 'sz', '2026-07-14'))
    const days = Array.from({ length: 365 }, (_, i) => weatherFor(1, 'sz', addDays('2026-01-01', i)))
    const mean = (xs: DayWeather[]) => xs.reduce((s, w) => s + w.meanC, 0) / xs.length
    expect(mean(days.slice(181, 212))).toBeGreaterThan(mean(days.slice(0, 31)) + 15)
    const wet = days.filter((w) => w.condition === 'rain' || w.condition === 'storm').length
    expect(wet).toBeGreaterThan(50)
    expect(wet).toBeLessThan(150)
    expect(days.filter((w) => w.maxC >= 33).length).toBeGreaterThan(10)
  })

  it('rain raises visits and dwell', () => {
    const storm: DayWeather = { ...ordinary, condition: 'storm', visitFactor: 1.16, dwellFactor: 1.35 }
    const sum = (w: DayWeather) => {
      let visits = 0
      let dwell = 0
      for (let i = 0; i < 6; i++) {
        const p = planDay({ ...base, capacity: 40, date: addDays('2026-07-13', i), weather: w })
        visits += p.visits.length
        dwell += p.visits.reduce((s, v) => s + v.exitMs - v.enterMs, 0) / p.visits.length
      }
      return { visits, dwell }
    }
    const dry = sum(ordinary)
    const rainy = sum(storm)
    expect(rainy.visits / dry.visits).toBeGreaterThan(1.08)
    expect(rainy.dwell / dry.dwell).toBeGreaterThan(1.2)
  })
})

describe('amenities', () => {
  const plan = planDay(base)
  const events = eventsForDay(plan, hub)

  it('every message passes the contract; a hub sends everything with one contiguous seq', () => {
    events.forEach((e, i) => {
      expect(channels[e.channel].parse(e.payload)).toEqual(e.payload)
      expect(e.payload.seq).toBe(i)
    })
    expect(new Set(events.map((e) => e.channel))).toEqual(new Set(['door', 'occupancy', 'environment', 'equipment', 'supply']))
  })

  it('the microwave runs at meal times, one use at a time per unit', () => {
    const on = of(events, 'equipment').filter((e) => e.appliance === 'microwave' && e.state === 'on')
    expect(on.length).toBe(dayTruth(plan).microwaveUses)
    expect(on.length).toBeGreaterThan(20)
    const meal = on.filter((e) => { const m = localMinute(e.ts); return (m >= 630 && m < 870) || (m >= 990 && m < 1260) || (m >= 330 && m < 480) })
    expect(meal.length / on.length).toBeGreaterThan(0.95)
    const byUnit = new Map<number, string>()
    for (const e of of(events, 'equipment').filter((x) => x.appliance === 'microwave')) {
      expect(byUnit.get(e.unit) !== e.state).toBe(true)
      byUnit.set(e.unit, e.state)
    }
  })

  it('shelves deplete by one per take, never below zero, and are restocked', () => {
    const truth = dayTruth(plan)
    for (const item of SUPPLY_ITEMS) {
      const readings = of(events, 'supply').filter((s) => s.item === item)
      expect(readings[0]!.quantity).toBe(plan.amenities.shelfStart[item]) // carried from the evening before
      let takes = 0
      for (let i = 1; i < readings.length; i++) {
        const d = readings[i]!.quantity - readings[i - 1]!.quantity
        expect(d === 0 || d === -1 || d > 0).toBe(true)
        if (d === -1) takes++
        expect(readings[i]!.quantity).toBeGreaterThanOrEqual(0)
      }
      expect(takes).toBe(truth.supplyTaken[item])
    }
    expect(truth.restocks).toBeGreaterThan(0)
  })

  it('is produced lazily: the first messages come without building the day', () => {
    const it = dayEvents(plan, hub)
    expect(it.next().value?.payload.ts).toBe(events[0]!.payload.ts)
  })
})

describe('faults', () => {
  it('parses specs and resolves windows in the station zone', () => {
    expect(parseDuration('90s')).toBe(90_000)
    expect(parseDuration('-2m')).toBe(-120_000)
    expect(() => parseFault('melt:sz-0001:2h')).toThrow(/kind/)
    const specs = ['offline:sz-0001:2h@2026-03-02T11:00', 'clock-skew:*:+90s', 'duplicates:sz-0002:5%', 'drift:sz-0001:1h'].map(parseFault)
    const f = faultsFor(specs, { id: 'sz-0001', timeZone: 'Asia/Shanghai' }, Date.UTC(2026, 2, 1), 1)
    expect(f.offline).toEqual([[Date.UTC(2026, 2, 2, 3), Date.UTC(2026, 2, 2, 5)]])
    expect(f.drift).toEqual([[Date.UTC(2026, 2, 1, 1), Date.UTC(2026, 2, 1, 2)]])
    expect(skewAt(f, 0)).toBe(90_000)
    expect(f.duplicateRate).toBe(0)
    expect(drifted(f, Date.UTC(2026, 2, 1, 1, 30), { ts: 0, co2: 500, temperature: 20 })).toEqual({ ts: 0, co2: 575, temperature: 20.3 })
  })

  it('a door stuck open removes scans but not people', () => {
    const plan = planDay({ ...base, weather: ordinary })
    const stuck = { ...plan, doorStuck: [[plan.startMs + 12 * 3_600_000, plan.startMs + 14 * 3_600_000]] as Array<[number, number]> }
    const door = of(eventsForDay(stuck, hub), 'door')
    const truth = dayTruth(stuck)
    expect(door.filter((d) => d.direction === 'in' && d.result === 'granted').length).toBe(truth.visits)
    expect(truth.visits).toBe(expectedDailyFigures(plan).visits - truth.unscanned)
    expect(truth.unscanned).toBeGreaterThan(20)
    expect(of(eventsForDay(stuck, hub), 'occupancy').reduce((n, o) => n + (o.entered ?? 0), 0)).toBe(plan.visits.length)
  })

  it('an offline backlog becomes batches of one channel, at most 500 events each', () => {
    const [spec] = fleetSpec({ stations: 1, seed: 1 })
    const run = createStationRun({ spec: spec!, index: 0, devices: [{ deviceId: 'sz-0001-hub', secret: 'x', role: 'hub' }], seed: 1 })
    for (let i = 0; i < 1234; i++) run.hold('environment', 'sz-0001-hub', JSON.stringify({ device: 'sz-0001-hub', ts: 1772424000000 + i, seq: i, co2: 500 }))
    run.hold('door', 'sz-0001-hub', '{"x":1}')
    const batches = run.takeBatches()
    expect(batches.map((b) => [b.topic, b.events])).toEqual([
      ['stations/sz-0001/environment/batch', 500], ['stations/sz-0001/environment/batch', 500],
      ['stations/sz-0001/environment/batch', 234], ['stations/sz-0001/door/batch', 1]
    ])
    expect((JSON.parse(batches[2]!.body) as { events: Array<{ seq: number }> }).events[0]!.seq).toBe(1000)
    expect(run.takeBatches()).toEqual([])
  })
})

describe('fleet spec', () => {
  it('mixes busy, medium and quiet stations in four cities, deterministically', () => {
    const fleet = fleetSpec({ stations: 1000, seed: 3 })
    expect(fleet).toEqual(fleetSpec({ stations: 1000, seed: 3 }))
    expect(new Set(fleet.map((s) => s.id)).size).toBe(1000)
    expect(fleet[0]!.id).toBe('sz-0001')
    const busy = fleet.filter((s) => s.size === 'busy')
    expect(busy).toHaveLength(100)
    for (const s of busy) expect(s.busyness >= 300 && s.busyness <= 400).toBe(true)
    for (const s of fleet.filter((x) => x.size === 'quiet')) expect(s.busyness >= 30 && s.busyness <= 150).toBe(true)
    expect(new Set(fleet.map((s) => s.city))).toEqual(new Set(['sz', 'gz', 'sh', 'hz']))
    expect(fleetSpec({ stations: 10_000, seed: 3 })[9_999]!.id).toBe('hz-10000')
  })
})
