import { StationId, WorkerId } from '../contract/index.ts'
import { SEGMENTS, WEEKEND_FACTOR, segmentWeights, totalDensity } from './arrival-profile.ts'
import { addDays, dayOfWeek, localDay } from './local-time.ts'
import { createRng, hashSeed } from './random.ts'
import { planAmenities, type AmenityPlan } from './amenities-model.ts'
import { weatherFor, type DayWeather } from './weather.ts'
import { newcomerId, newcomerMethod, profileOf, type Segment, type VisitMethod, type WorkerProfile } from './worker-pool.ts'

// One local day at one station, decided up front: who comes in when, how long they stay, and
// which attempts the door refuses. Pure and deterministic (seed, station, date), so the
// simulator, the tests and the ground truth all see the same day.

export type Visit = {
  worker: string
  enterMs: number
  exitMs: number
  method: VisitMethod
  segment: Segment
  /** A fresh id never used before at this station (a regular is not, even on their first day). */
  newcomer: boolean
}
export type DeniedAttempt = { ms: number, method: VisitMethod, worker?: string }

export type PlanDayOptions = {
  stationId: string
  seed: number | string
  /** Local calendar day, YYYY-MM-DD. */
  date: string
  /** IANA zone of the station, e.g. 'Asia/Shanghai'. */
  timeZone: string
  /** Expected arrivals on a weekday (350 busy, 60 quiet). */
  busyness: number
  /** Places inside; never exceeded. */
  capacity: number
  /** Pseudonymous ids of the regulars (see createWorkerPool). */
  workerPool: readonly string[]
  /** Stations of one region share the weather; default: the time zone. */
  region?: string
  /** Override the day's weather (default: weatherFor(seed, region, date)). */
  weather?: DayWeather
}

export type DayPlan = {
  stationId: string
  seed: number | string
  date: string
  timeZone: string
  capacity: number
  /** [startMs, endMs) is the local day in UTC epoch ms (23, 24 or 25 hours). */
  startMs: number
  endMs: number
  /** Granted visits, ordered by enterMs. Every visit ends inside the day. */
  visits: Visit[]
  /** Refused door attempts, ordered by ms. */
  denied: DeniedAttempt[]
  /** Arrivals who gave up because the station stayed full longer than MAX_WAIT_MS. */
  turnedAway: number
  weather: DayWeather
  /** Microwave, chargers, lights and shelf supplies used by these visits. */
  amenities: AmenityPlan
  /**
   * Fault: [from, to) intervals in which the door stood open. Nobody scans: entries, exits and
   * refusals inside them produce no door event, while the people counter still sees everyone.
   */
  doorStuck?: Array<[number, number]>
}

/** Whether the door stood open (doorStuck fault) at `ms`, so nothing was scanned. */
export function doorWasOpen (plan: Pick<DayPlan, 'doorStuck'>, ms: number): boolean {
  return (plan.doorStuck ?? []).some(([a, b]) => ms >= a && ms < b)
}

const MIN = 60_000
export const MAX_WAIT_MS = 20 * MIN
// Nobody arrives in the last 10 minutes and everybody is out 20-90 s before local midnight:
// days are independent (each starts empty), so any day can be planned without its predecessor.
export const LAST_ARRIVAL_MS = 10 * MIN
const RETURN_GAP_MS = 20 * MIN
const DWELL_MEDIAN_MIN: Record<Segment, number> = { rider: 11, courier: 10, sanitation: 15, other: 12 }
const DWELL_SIGMA = 0.55
const NEWCOMER_SHARE = 0.1
const P_DENIED_FIRST = 0.013
export const P_STRANGER = 0.006

type Regular = { id: string, profile: WorkerProfile }

export function planDay (opts: PlanDayOptions): DayPlan {
  const plan = planVisits(opts)
  // The shelf carries its level from the previous day (simulators/amenities-model.ts).
  const previous = { ...opts, date: addDays(opts.date, -1), weather: undefined }
  const key = [opts.seed, opts.stationId, previous.date, opts.timeZone, opts.busyness, opts.capacity, opts.region ?? '', ...opts.workerPool].join('|')
  return { ...plan, amenities: planAmenities(plan, { key, previousDay: () => planVisits(previous) }) }
}

function planVisits (opts: PlanDayOptions): Omit<DayPlan, 'amenities'> {
  const { stationId, seed, date, timeZone, capacity, busyness } = opts
  StationId.parse(stationId)
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 500) throw new Error('capacity must be an integer 1..500')
  if (!(busyness >= 0)) throw new Error('busyness must be >= 0')
  for (const w of opts.workerPool) WorkerId.parse(w)

  const day = localDay(date, timeZone)
  const rng = createRng(hashSeed(seed, stationId, date, 'plan'))
  const weekday = dayOfWeek(date)
  const weather = opts.weather ?? weatherFor(seed, opts.region ?? timeZone, date)
  const expected = busyness * (weekday === 0 || weekday === 6 ? WEEKEND_FACTOR : 1) * weather.visitFactor
  const lastArrival = day.endMs - LAST_ARRIVAL_MS

  // Arrivals: a Poisson process whose rate follows local wall-clock time, drawn per real
  // minute, so DST days get their 23 or 25 hours of traffic.
  const arrivals: Array<{ ms: number, segment: Segment }> = []
  for (let t = day.startMs; t < lastArrival; t += MIN) {
    const wall = day.minuteOfDay(t)
    const n = rng.poisson(expected * totalDensity(wall))
    for (let i = 0; i < n; i++) arrivals.push({ ms: t + rng.int(0, MIN - 1), segment: rng.weightedPick(SEGMENTS, segmentWeights(wall)) })
  }
  arrivals.sort((a, b) => a.ms - b.ms)

  // Which regulars show up today is decided once, so they come back several times.
  const present = new Map<Segment, Regular[]>()
  for (const id of opts.workerPool) {
    const profile = profileOf(id)
    if (rng.chance(profile.attendance)) present.set(profile.segment, [...(present.get(profile.segment) ?? []), { id, profile }])
  }
  const busyUntil = new Map<string, number>()
  let newcomers = 0
  const chooseWorker = (segment: Segment, at: number): { worker: string, method: VisitMethod, newcomer: boolean } => {
    if (segment !== 'other' && !rng.chance(NEWCOMER_SHARE)) {
      const free = (present.get(segment) ?? []).filter((r) => (busyUntil.get(r.id) ?? -Infinity) <= at)
      if (free.length > 0) {
        const r = rng.weightedPick(free, free.map((f) => f.profile.weight))
        return { worker: r.id, method: r.profile.method, newcomer: false }
      }
    }
    return { worker: newcomerId(seed, stationId, date, newcomers++), method: newcomerMethod(rng.next()), newcomer: true }
  }

  const visits: Visit[] = []
  const denied: DeniedAttempt[] = []
  let turnedAway = 0
  // Exit times of everyone inside or already admitted: one entry per occupied place.
  let inside: number[] = []
  for (const a of arrivals) {
    if (rng.chance(P_STRANGER)) {
      // Someone not enrolled tries their face, sometimes twice, and leaves.
      denied.push({ ms: a.ms, method: 'face' })
      if (rng.chance(0.5)) denied.push({ ms: a.ms + rng.int(5_000, 20_000), method: 'face' })
      continue
    }
    inside = inside.filter((exit) => exit > a.ms)
    let enter = a.ms
    if (inside.length >= capacity) {
      // Full: wait outside for the next person to leave, or give up after MAX_WAIT_MS. The
      // freed place goes to this arrival, so later arrivals keep seeing the station as full.
      const first = Math.min(...inside)
      enter = first + rng.int(5_000, 30_000)
      if (enter - a.ms > MAX_WAIT_MS || enter > lastArrival) {
        turnedAway++
        continue
      }
      inside.splice(inside.indexOf(first), 1)
    }
    const { worker, method, newcomer } = chooseWorker(a.segment, enter)
    const dwellMin = Math.min(75, Math.max(2, rng.logNormal(DWELL_MEDIAN_MIN[a.segment] * weather.dwellFactor, DWELL_SIGMA)))
    const exit = Math.min(Math.round(enter + dwellMin * MIN), day.endMs - rng.int(20_000, 90_000))
    inside.push(exit)
    busyUntil.set(worker, exit + RETURN_GAP_MS)
    visits.push({ worker, enterMs: enter, exitMs: exit, method, segment: a.segment, newcomer })

    if (rng.chance(P_DENIED_FIRST)) {
      // A refused first try just before the granted one: an unrecognised face (helmet, mask,
      // glare: no worker id) or the worker's own card/QR refused (expired, not yet synced).
      const ms = Math.max(day.startMs, enter - rng.int(8_000, 45_000))
      denied.push(method === 'face' || rng.chance(0.4) ? { ms, method: 'face' } : { ms, method, worker })
    }
  }
  visits.sort((a, b) => a.enterMs - b.enterMs)
  denied.sort((a, b) => a.ms - b.ms)

  return { stationId, seed, date, timeZone, capacity, startMs: day.startMs, endMs: day.endMs, visits, denied, turnedAway, weather }
}

