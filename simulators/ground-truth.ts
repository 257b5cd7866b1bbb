import { doorWasOpen, type DayPlan } from './day-model.ts'
import { localDateOf, localDay } from './local-time.ts'

// What the API should report for a simulated local day, computed from the plan rather than
// from the messages, so an end-to-end test compares two independent paths. `visits`,
// `uniqueWorkers` and `denied` are what the door recorded (the API's figures); `entries` is
// what the people counter saw, which differs while the door stood open (doorStuck fault).

export type DailyFigures = {
  date: string
  /** Granted 'in' door events. */
  visits: number
  /** Distinct workers with at least one granted visit. */
  uniqueWorkers: number
  /** Denied door attempts. */
  denied: number
  /** Granted entries per local wall-clock hour 0..23 (the repeated hour of a fall-back day is merged; the skipped hour of a spring-forward day stays 0). */
  visitsByHour: number[]
  /** Highest number of people inside at once. */
  peakOccupancy: number
  /** Stays of the granted entries, as the door saw them (the API's dwell figures). */
  dwell: DwellTruth
}

export type DwellTruth = {
  /** Whole minutes (floored) from a scanned entry to the exit it pairs with → how many. */
  minutes: Record<number, number>
  /** Scanned entries whose worker's next scanned door event was not an exit within 4 hours (the door stood open when they left). */
  withoutExit: number
  /** Granted entries without a worker id (the simulator always scans one: 0). */
  unidentified: number
}

const emptyDwell = (): DwellTruth => ({ minutes: {}, withoutExit: 0, unidentified: 0 })
const DWELL_HORIZON_MS = 4 * 3_600_000

/**
 * The stay of each visit as the door recorded it, by the API's documented rule: a scanned entry
 * pairs with the same worker's next scanned door event when that is an exit within 4 hours;
 * otherwise it has no exit (null). So a worker who walked out while the door stood open and
 * later came in through it again pairs with that later exit. Unscanned entries: undefined.
 * Only the plan's own day is searched: everybody leaves before midnight, so only an entry whose
 * exit went unscanned late in the evening could pair past it (no fault of the tests does that).
 */
function doorStays (plan: DayPlan): Array<number | null | undefined> {
  const byWorker = new Map<string, Array<{ ms: number, exit: boolean }>>()
  const add = (worker: string | undefined, ms: number, exit: boolean) => {
    if (worker === undefined || doorWasOpen(plan, ms)) return
    let list = byWorker.get(worker)
    if (list === undefined) { list = []; byWorker.set(worker, list) }
    list.push({ ms, exit })
  }
  for (const v of plan.visits) { add(v.worker, v.enterMs, false); add(v.worker, v.exitMs, true) }
  for (const d of plan.denied) add(d.worker, d.ms, false)
  for (const list of byWorker.values()) list.sort((a, b) => a.ms - b.ms)
  return plan.visits.map((v) => {
    if (doorWasOpen(plan, v.enterMs)) return undefined
    const next = byWorker.get(v.worker)!.find((e) => e.ms > v.enterMs)
    return next !== undefined && next.exit && next.ms - v.enterMs <= DWELL_HORIZON_MS ? Math.floor((next.ms - v.enterMs) / 60_000) : null
  })
}

function addStay (d: DwellTruth, minutes: number | null | undefined): void {
  if (minutes === undefined) return
  if (minutes === null) d.withoutExit++
  else d.minutes[minutes] = (d.minutes[minutes] ?? 0) + 1
}

export type DayTruth = DailyFigures & {
  /** Visitors with a fresh id (never seen at this station). */
  newcomers: number
  /** People who came in, as the people counter saw them (includes those the door did not scan). */
  entries: number
  /** Entries without a door scan (door stuck open). */
  unscanned: number
  /** Arrivals who gave up waiting for a place. */
  turnedAway: number
  weather: { condition: string, meanC: number, maxC: number }
  microwaveUses: number
  chargerUses: number
  supplyTaken: Record<string, number>
  stockouts: Record<string, number>
  restocks: number
}

export function expectedDailyFigures (plan: DayPlan): DailyFigures {
  const day = localDay(plan.date, plan.timeZone)
  const scanned = plan.visits.filter((v) => !doorWasOpen(plan, v.enterMs))
  const visitsByHour = new Array<number>(24).fill(0)
  for (const v of scanned) {
    const hour = Math.floor(day.minuteOfDay(v.enterMs) / 60)
    visitsByHour[hour] = (visitsByHour[hour] ?? 0) + 1
  }
  return {
    date: plan.date,
    visits: scanned.length,
    uniqueWorkers: new Set(scanned.map((v) => v.worker)).size,
    denied: plan.denied.filter((d) => !doorWasOpen(plan, d.ms)).length,
    visitsByHour,
    peakOccupancy: peakOccupancy(plan),
    dwell: doorStays(plan).reduce((d, m) => { addStay(d, m); return d }, emptyDwell())
  }
}

/** Everything known about the day, for the ground-truth file and the fleet's tests. */
export function dayTruth (plan: DayPlan): DayTruth {
  const a = plan.amenities
  return {
    ...expectedDailyFigures(plan),
    newcomers: plan.visits.filter((v) => v.newcomer && !doorWasOpen(plan, v.enterMs)).length,
    entries: plan.visits.length,
    unscanned: plan.visits.filter((v) => doorWasOpen(plan, v.enterMs)).length,
    turnedAway: plan.turnedAway,
    weather: { condition: plan.weather.condition, meanC: plan.weather.meanC, maxC: plan.weather.maxC },
    microwaveUses: a.uses.filter((u) => u.appliance === 'microwave').length,
    chargerUses: a.uses.filter((u) => u.appliance === 'charger').length,
    supplyTaken: { ...a.taken },
    stockouts: { ...a.stockouts },
    restocks: a.restocks
  }
}

function peakOccupancy (plan: DayPlan): number {
  // Sweep entries and exits; an exit at the same instant as an entry frees the place first.
  const edges = plan.visits.flatMap((v) => [[v.enterMs, 1], [v.exitMs, -1]] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let inside = 0
  let peak = 0
  for (const [, delta] of edges) {
    inside += delta
    peak = Math.max(peak, inside)
  }
  return peak
}

export type StationTruth = { days: Array<DayTruth & { firstTimeVisitors: number, partial: boolean }> }

/**
 * Ground truth of one station over [from, until): the door figures of the events actually in
 * that range, on the local day of the timestamp the device reports (`skew` models a device
 * clock that is off), and first-time visitors (a worker's first granted visit in the range).
 * Feed it the station's plans in date order.
 */
export function createStationTruth (opts: { timeZone: string, from: number, until: number, skew?: (ms: number) => number }) {
  const { from, until, timeZone } = opts
  const skew = opts.skew ?? (() => 0)
  const byDate = new Map<string, StationTruth['days'][number]>()
  const workers = new Map<string, Set<string>>()
  const seen = new Set<string>()
  const row = (date: string, plan: DayPlan) => {
    let r = byDate.get(date)
    if (r === undefined) {
      const t = dayTruth({ ...plan, visits: [], denied: [], turnedAway: 0 })
      r = { ...t, date, visitsByHour: new Array<number>(24).fill(0), dwell: emptyDwell(), firstTimeVisitors: 0, partial: true }
      byDate.set(date, r)
    }
    return r
  }
  return {
    add (plan: DayPlan): void {
      // A day after the range is planned only to find out that it starts too late.
      if (plan.startMs >= until || plan.endMs <= from) return
      // Amenities, weather and counter figures belong to the plan's own day.
      const own = row(plan.date, plan)
      Object.assign(own, { ...dayTruth(plan), visits: own.visits, uniqueWorkers: own.uniqueWorkers, denied: own.denied, visitsByHour: own.visitsByHour, dwell: own.dwell, firstTimeVisitors: own.firstTimeVisitors, partial: plan.startMs < from || plan.endMs > until })
      const stays = doorStays(plan)
      for (const [i, v] of plan.visits.entries()) {
        if (v.enterMs < from || v.enterMs >= until || doorWasOpen(plan, v.enterMs)) continue
        const ts = v.enterMs + skew(v.enterMs)
        const date = localDateOf(ts, timeZone)
        const r = row(date, plan)
        r.visits++
        const day = localDay(date, timeZone)
        const hour = Math.min(23, Math.max(0, Math.floor(day.minuteOfDay(ts) / 60)))
        r.visitsByHour[hour] = (r.visitsByHour[hour] ?? 0) + 1
        addStay(r.dwell, stays[i]) // counted on the day of entry, as the API does
        const set = workers.get(date) ?? new Set<string>()
        workers.set(date, set)
        set.add(v.worker)
        r.uniqueWorkers = set.size
        if (!seen.has(v.worker)) { seen.add(v.worker); r.firstTimeVisitors++ }
      }
      for (const d of plan.denied) {
        if (d.ms < from || d.ms >= until || doorWasOpen(plan, d.ms)) continue
        row(localDateOf(d.ms + skew(d.ms), timeZone), plan).denied++
      }
    },
    result (): StationTruth {
      return { days: [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date)) }
    }
  }
}
