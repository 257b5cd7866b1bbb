// "Today so far" at one station: granted entries, distinct workers and entries per local hour
// since local midnight in the station's zone. Fed one door event at a time from the ingest hot
// path, so each step is O(1): a Set lookup for the event's identity (a resent message, same
// device, ts and seq, is stored once by InfluxDB and must count once here too), a Set for the
// workers, and the hour from the day's start unless the day has a DST change.
import { localDate, localMidnightUtc, addDays } from '../../platform/local-day.ts'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

export type Today = {
  readonly date: string
  readonly startMs: number
  readonly endMs: number
  readonly timezone: string
  visits: number
  readonly workers: Set<string>
  readonly byHour: number[]
  /** Counted entries per device, as (ts - startMs) * 10⁶ + seq mod 10⁶: InfluxDB's point time within the day. */
  readonly keys: Map<string, Set<number>>
}

/** The local day of `nowMs` in `timezone`, empty. */
export function startDay (timezone: string, nowMs: number): Today {
  const date = localDate(nowMs, timezone)
  return {
    date,
    timezone,
    startMs: localMidnightUtc(date, timezone).getTime(),
    endMs: localMidnightUtc(addDays(date, 1), timezone).getTime(),
    visits: 0,
    workers: new Set(),
    byHour: new Array<number>(24).fill(0),
    keys: new Map()
  }
}

const hourFormatters = new Map<string, Intl.DateTimeFormat>()
function localHour (ms: number, timezone: string): number {
  let f = hourFormatters.get(timezone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hour: 'numeric', hourCycle: 'h23' })
    hourFormatters.set(timezone, f)
  }
  return Number(f.format(ms)) % 24
}

/** Local clock hour (0-23) of an instant of the day. */
export function hourOfDay (day: Today, ms: number): number {
  // A 24-hour day has no DST change in it, so the hour is plain arithmetic. On a 23 or 25 h
  // day the zone database says which clock hour it is (the repeated hour folds into one).
  if (day.endMs - day.startMs === DAY_MS) return Math.floor((ms - day.startMs) / HOUR_MS)
  return localHour(ms, day.timezone)
}

/**
 * Counts a granted entry (device, ts, seq identify it) if it happened today and was not
 * counted before. True when something changed.
 */
export function countEntry (day: Today, device: string, ts: number, seq: number, worker: string | undefined): boolean {
  if (ts < day.startMs || ts >= day.endMs) return false
  // A number, not a string: this runs per door event, and building and hashing a string key was
  // most of the hook's cost. At most 9·10⁷ ms × 10⁶ ≈ 9·10¹³ < 2^53: exact.
  const key = (ts - day.startMs) * 1e6 + (seq % 1e6)
  let keys = day.keys.get(device)
  if (keys === undefined) day.keys.set(device, keys = new Set())
  if (keys.has(key)) return false
  keys.add(key)
  day.visits++
  day.byHour[hourOfDay(day, ts)]!++
  if (worker !== undefined) day.workers.add(worker)
  return true
}
