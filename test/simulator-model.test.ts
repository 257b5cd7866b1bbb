import { describe, expect, it } from 'vitest'
import { WorkerId, channels, type AnyEvent } from '../contract/index.ts'
import { eventsForDay, type StationDevices } from '../simulators/day-events.ts'
import { planDay, type PlanDayOptions } from '../simulators/day-model.ts'
import { expectedDailyFigures } from '../simulators/ground-truth.ts'
import { addDays, dayOfWeek, localDateOf, zonedParts, zonedTimeToUtc } from '../simulators/local-time.ts'
import { createPublishWindow } from '../simulators/publish-window.ts'
import { createRng } from '../simulators/random.ts'
import type { DayWeather } from '../simulators/weather.ts'
import { createWorkerPool } from '../simulators/worker-pool.ts'

const H = 3_600_000
const base: PlanDayOptions = {
  stationId: 'sh-xuhui-01',
  seed: 42,
  date: '2026-03-10', // a Tuesday
  timeZone: 'Asia/Shanghai',
  busyness: 350,
  capacity: 12,
  workerPool: createWorkerPool({ seed: 42, stationId: 'sh-xuhui-01', size: 90 })
}
// A day whose weather changes nothing: no rain, heat or cold.
const ORDINARY: DayWeather = { condition: 'cloudy', meanC: 14, maxC: 19, humidityDelta: 0, smog: 1, visitFactor: 1, dwellFactor: 1 }
const devices: StationDevices = { door: { deviceId: 'door-1', seq: 1000 }, sensors: { deviceId: 'hub-1', seq: 0 } }
const days = (from: string, n: number): string[] => Array.from({ length: n }, (_, i) => addDays(from, i))
const weekdays = days('2026-03-09', 14).filter((d) => dayOfWeek(d) % 6 !== 0)
const weekends = days('2026-03-09', 14).filter((d) => dayOfWeek(d) % 6 === 0)
const payloads = <C extends AnyEvent['channel']>(events: AnyEvent[], channel: C) =>
  events.filter((e) => e.channel === channel).map((e) => e.payload as Extract<AnyEvent, { channel: C }>['payload'])

describe('random', () => {
  it('is deterministic per seed and stays in range', () => {
    const a = createRng(7)
    const b = createRng(7)
    const xs = Array.from({ length: 100 }, () => a.int(1, 6))
    expect(xs).toEqual(Array.from({ length: 100 }, () => b.int(1, 6)))
    expect(Math.min(...xs)).toBe(1)
    expect(Math.max(...xs)).toBe(6)
    expect(createRng(8).next()).not.toBe(createRng(7).next())
    const r = createRng('poisson')
    const mean = Array.from({ length: 20_000 }, () => r.poisson(3)).reduce((s, x) => s + x, 0) / 20_000
    expect(mean).toBeCloseTo(3, 1)
  })
})

describe('zonedTimeToUtc', () => {
  it('converts Asia/Shanghai (UTC+8, no DST)', () => {
    expect(zonedTimeToUtc('2026-03-10', 12 * 60, 'Asia/Shanghai')).toBe(Date.UTC(2026, 2, 10, 4))
    expect(zonedTimeToUtc('2026-03-10', 0, 'Asia/Shanghai')).toBe(Date.UTC(2026, 2, 9, 16))
    expect(zonedTimeToUtc('2026-07-01', 23 * 60 + 59, 'Asia/Shanghai')).toBe(Date.UTC(2026, 6, 1, 15, 59))
    expect(localDateOf(Date.UTC(2026, 2, 9, 16), 'Asia/Shanghai')).toBe('2026-03-10')
  })

  it('handles the Europe/Berlin spring-forward day (23 h, 02:00-03:00 missing)', () => {
    const tz = 'Europe/Berlin'
    expect(zonedTimeToUtc('2026-03-29', 0, tz)).toBe(Date.UTC(2026, 2, 28, 23))
    expect(zonedTimeToUtc('2026-03-29', 119, tz)).toBe(Date.UTC(2026, 2, 29, 0, 59))
    // 02:30 does not exist: moved forward by the gap to 03:30 CEST.
    expect(zonedTimeToUtc('2026-03-29', 150, tz)).toBe(Date.UTC(2026, 2, 29, 1, 30))
    expect(zonedTimeToUtc('2026-03-29', 180, tz)).toBe(Date.UTC(2026, 2, 29, 1))
    expect(zonedTimeToUtc('2026-03-30', 0, tz) - zonedTimeToUtc('2026-03-29', 0, tz)).toBe(23 * H)
  })

  it('handles the Europe/Berlin fall-back day (25 h, 02:00-03:00 twice)', () => {
    const tz = 'Europe/Berlin'
    // Ambiguous 02:30 resolves to the first (CEST) occurrence.
    expect(zonedTimeToUtc('2026-10-25', 150, tz)).toBe(Date.UTC(2026, 9, 25, 0, 30))
    expect(zonedTimeToUtc('2026-10-25', 180, tz)).toBe(Date.UTC(2026, 9, 25, 2))
    expect(zonedTimeToUtc('2026-10-26', 0, tz) - zonedTimeToUtc('2026-10-25', 0, tz)).toBe(25 * H)
  })

  it('round-trips every quarter hour of ordinary days', () => {
    for (const [date, tz] of [['2026-06-15', 'Europe/Berlin'], ['2026-01-15', 'America/New_York'], ['2026-03-10', 'Asia/Shanghai']] as const) {
      for (let m = 0; m < 1440; m += 15) {
        const p = zonedParts(zonedTimeToUtc(date, m, tz), tz)
        expect([localDateOf(zonedTimeToUtc(date, m, tz), tz), p.hour * 60 + p.minute]).toEqual([date, m])
      }
    }
  })
})

describe('planDay', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(eventsForDay(planDay(base), devices)).toEqual(eventsForDay(planDay({ ...base }), devices))
    expect(planDay({ ...base, seed: 43 }).visits).not.toEqual(planDay(base).visits)
  })

  it('gives 300-400 visits on busy weekdays of ordinary weather and about 75% of that on weekends', () => {
    const count = (date: string) => planDay({ ...base, date, weather: ORDINARY }).visits.length
    const wd = weekdays.map(count)
    for (const n of wd) expect(n >= 300 && n <= 400, `${n} visits`).toBe(true)
    const ratio = (weekends.map(count).reduce((a, b) => a + b) / weekends.length) / (wd.reduce((a, b) => a + b) / wd.length)
    expect(ratio).toBeGreaterThan(0.65)
    expect(ratio).toBeLessThan(0.85)
  })

  it('peaks at lunch and dinner, sanitation crews early, quiet at night', () => {
    const byHour = new Array<number>(24).fill(0)
    for (const date of weekdays) expectedDailyFigures(planDay({ ...base, date })).visitsByHour.forEach((n, h) => { byHour[h] = (byHour[h] ?? 0) + n })
    const avg = (hours: number[]) => hours.reduce((s, h) => s + (byHour[h] ?? 0), 0) / hours.length
    const overall = avg([...Array(24).keys()])
    expect(avg([11, 12, 13])).toBeGreaterThan(1.6 * overall)
    expect(avg([17, 18, 19])).toBeGreaterThan(1.4 * overall)
    expect(avg([12])).toBeGreaterThan(avg([9]) * 2)
    expect(avg([18])).toBeGreaterThan(avg([16]))
    expect(avg([5, 6])).toBeGreaterThan(3 * avg([1, 2, 3]))
    expect(avg([0, 1, 2, 3, 4])).toBeLessThan(0.2 * overall)
  })

  it('has regulars returning, pseudonymous ids only, and no overlapping visits per worker', () => {
    const plan = planDay(base)
    const truth = expectedDailyFigures(plan)
    expect(truth.uniqueWorkers).toBeLessThan(0.6 * truth.visits)
    const perWorker = new Map<string, typeof plan.visits>()
    for (const v of plan.visits) perWorker.set(v.worker, [...(perWorker.get(v.worker) ?? []), v])
    expect([...perWorker.values()].filter((vs) => vs.length >= 3).length).toBeGreaterThan(20)
    for (const vs of perWorker.values()) {
      for (let i = 1; i < vs.length; i++) expect(vs[i]!.enterMs).toBeGreaterThan(vs[i - 1]!.exitMs)
    }
    for (const w of [...perWorker.keys(), ...plan.denied.flatMap((d) => d.worker ?? [])]) expect(WorkerId.safeParse(w).success).toBe(true)
    const dwellMin = plan.visits.map((v) => (v.exitMs - v.enterMs) / 60_000).sort((a, b) => a - b)
    expect(dwellMin[0]).toBeGreaterThanOrEqual(2)
    expect(dwellMin[dwellMin.length - 1]).toBeLessThanOrEqual(75)
    expect(dwellMin[Math.floor(dwellMin.length / 2)]).toBeGreaterThan(8)
    expect(dwellMin[Math.floor(dwellMin.length / 2)]).toBeLessThan(16)
  })

  it('denies 1-3% of attempts', () => {
    let denied = 0
    let attempts = 0
    for (const date of days('2026-03-02', 28)) {
      const t = expectedDailyFigures(planDay({ ...base, date }))
      denied += t.denied
      attempts += t.denied + t.visits
    }
    expect(denied / attempts).toBeGreaterThan(0.01)
    expect(denied / attempts).toBeLessThan(0.03)
  })
})

describe('eventsForDay', () => {
  const cases: Array<[string, PlanDayOptions]> = [
    ['busy Shanghai weekday', base],
    ['Berlin spring-forward day', { ...base, date: '2026-03-29', timeZone: 'Europe/Berlin' }],
    ['Berlin fall-back day', { ...base, date: '2026-10-25', timeZone: 'Europe/Berlin' }],
    ['overcrowded tiny station', { ...base, capacity: 3, date: '2026-03-11' }]
  ]

  it.each(cases)('%s: every payload passes the contract, in order, seq contiguous per device', (_, opts) => {
    const plan = planDay(opts)
    const events = eventsForDay(plan, devices)
    const next = { 'door-1': 1000, 'hub-1': 0 } as Record<string, number>
    let lastTs = -Infinity
    const lastTsOf: Record<string, number> = {}
    for (const e of events) {
      expect(channels[e.channel].parse(e.payload)).toEqual(e.payload)
      expect(e.payload.ts).toBeGreaterThanOrEqual(lastTs)
      expect(e.payload.ts).toBeGreaterThan(lastTsOf[e.payload.device] ?? -Infinity)
      expect(e.payload.ts).toBeGreaterThanOrEqual(plan.startMs)
      expect(e.payload.ts).toBeLessThan(plan.endMs)
      expect(e.payload.seq).toBe(next[e.payload.device])
      next[e.payload.device] = e.payload.seq + 1
      lastTs = lastTsOf[e.payload.device] = e.payload.ts
    }
    // Heartbeats every 5 minutes over the real length of the day (23, 24 or 25 h).
    const hours = (plan.endMs - plan.startMs) / H
    expect(payloads(events, 'environment')).toHaveLength(hours * 60)
    expect(payloads(events, 'occupancy').length).toBe(hours * 12 + 2 * plan.visits.length)
  })

  it.each(cases)('%s: occupancy equals entries minus exits and stays within capacity', (_, opts) => {
    const plan = planDay(opts)
    const events = eventsForDay(plan, devices)
    let count = 0
    let entered = 0
    for (const o of payloads(events, 'occupancy')) {
      count += (o.entered ?? 0) - (o.exited ?? 0)
      entered += o.entered ?? 0
      expect(o.count).toBe(count)
      expect(o.count).toBeGreaterThanOrEqual(0)
      expect(o.count).toBeLessThanOrEqual(opts.capacity)
    }
    expect(count).toBe(0)
    expect(entered).toBe(plan.visits.length)
    expect(expectedDailyFigures(plan).peakOccupancy).toBeLessThanOrEqual(opts.capacity)
  })

  it('makes a full station wait or turn people away instead of overfilling', () => {
    const tiny = planDay({ ...base, capacity: 3, date: '2026-03-11' })
    expect(expectedDailyFigures(tiny).peakOccupancy).toBe(3)
    expect(tiny.turnedAway).toBeGreaterThan(0)
    expect(tiny.visits.length + tiny.turnedAway).toBeGreaterThan(planDay({ ...base, date: '2026-03-11' }).visits.length - 40)
  })

  it('ground truth matches counting the door events', () => {
    for (const date of days('2026-03-07', 4)) {
      const plan = planDay({ ...base, date })
      const door = payloads(eventsForDay(plan, devices), 'door')
      const granted = door.filter((d) => d.direction === 'in' && d.result === 'granted')
      const truth = expectedDailyFigures(plan)
      expect(truth).toMatchObject({
        date,
        visits: granted.length,
        uniqueWorkers: new Set(granted.map((d) => d.worker)).size,
        denied: door.filter((d) => d.result === 'denied').length
      })
      expect(door.filter((d) => d.direction === 'out').length).toBe(truth.visits)
      expect(truth.visitsByHour.reduce((a, b) => a + b)).toBe(truth.visits)
    }
  })

  it('CO2 rises with people inside', () => {
    const events = eventsForDay(planDay(base), devices)
    let count = 0
    const co2 = { empty: [] as number[], crowded: [] as number[] }
    for (const e of events) {
      if (e.channel === 'occupancy') count = e.payload.count
      if (e.channel === 'environment') {
        expect(e.payload.co2).toBeGreaterThan(350)
        if (count === 0) co2.empty.push(e.payload.co2 ?? 0)
        if (count >= 6) co2.crowded.push(e.payload.co2 ?? 0)
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean(co2.empty)).toBeLessThan(500)
    expect(mean(co2.crowded)).toBeGreaterThan(mean(co2.empty) + 150)
  })
})

describe('publish window', () => {
  it('holds back acquires beyond its size until a release', async () => {
    const w = createPublishWindow(2)
    await w.acquire()
    await w.acquire()
    let third = false
    const pending = w.acquire().then(() => { third = true })
    await Promise.resolve()
    expect(third).toBe(false)
    w.release()
    await pending
    expect(third).toBe(true)
    w.release()
    w.release()
    await w.idle()
    expect(w.inFlight).toBe(0)
  })
})
