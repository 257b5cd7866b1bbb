// Local wall-clock time <-> UTC with nothing but Intl, so that the simulator, the API and the
// tests agree on what "Tuesday 12:00 in Asia/Shanghai" is, including on DST days. Calendar-day
// helpers shared with the API live in platform/local-day.ts.
import { addDays } from '../platform/local-day.ts'

export { addDays, localDate as localDateOf } from '../platform/local-day.ts'

const MINUTE = 60_000
const DAY = 86_400_000
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor (timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    // h23 so that midnight is 00, not 24 as some locales render it.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit'
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** Wall-clock fields of an instant in a zone. */
export function zonedParts (ms: number, timeZone: string): { year: number, month: number, day: number, hour: number, minute: number, second: number } {
  const out: Record<string, number> = {}
  for (const p of formatterFor(timeZone).formatToParts(ms)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value)
  }
  return { year: out.year ?? 0, month: out.month ?? 0, day: out.day ?? 0, hour: out.hour ?? 0, minute: out.minute ?? 0, second: out.second ?? 0 }
}

/** Offset of local time from UTC at an instant, in minutes (Shanghai: +480). */
export function utcOffsetMinutes (ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone)
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second)
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / MINUTE)
}

function parseDate (date: string): [number, number, number] {
  const m = DATE_RE.exec(date)
  if (m === null) throw new Error(`date must be YYYY-MM-DD, got ${JSON.stringify(date)}`)
  return [Number(m[1]), Number(m[2]), Number(m[3])]
}

/**
 * UTC epoch ms of `minutesOfDay` minutes after local midnight of `date` in `timeZone`, read as
 * a wall-clock time (minutesOfDay may exceed 1440 to reach into following days).
 * Non-existent times (spring-forward gap) move forward by the gap: 02:30 on a day that jumps
 * 02:00 -> 03:00 is 03:30. Ambiguous times (fall-back) resolve to the earlier instant. This is
 * what Temporal calls 'compatible' and what most calendars do.
 */
export function zonedTimeToUtc (date: string, minutesOfDay: number, timeZone: string): number {
  const [y, mo, d] = parseDate(date)
  const wall = Date.UTC(y, mo - 1, d) + Math.round(minutesOfDay * MINUTE)
  // Offsets a day either side bracket any transition near this wall time (zones change at most
  // once within a couple of days).
  const before = utcOffsetMinutes(wall - DAY, timeZone)
  const after = utcOffsetMinutes(wall + DAY, timeZone)
  const valid = [before, after]
    .map((o) => wall - o * MINUTE)
    .filter((t) => wall - utcOffsetMinutes(t, timeZone) * MINUTE === t)
  if (valid.length > 0) return Math.min(...valid)
  return wall - before * MINUTE
}

/** 0 = Sunday .. 6 = Saturday: a calendar date's weekday does not depend on the zone. */
export function dayOfWeek (date: string): number {
  const [y, mo, d] = parseDate(date)
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDay()
}

/** 1 = 1 January. */
export function dayOfYear (date: string): number {
  const [y, mo, d] = parseDate(date)
  return Math.round((Date.UTC(y, mo - 1, d) - Date.UTC(y, 0, 1)) / DAY) + 1
}

/**
 * Bounds of a local day, plus a fast wall-clock reader for instants inside it: the day models
 * ask "what local minute is it" thousands of times, and a day has at most one transition, so
 * Intl is only consulted again on transition days.
 */
export type LocalDay = { startMs: number, endMs: number, minuteOfDay (ms: number): number }
const days = new Map<string, LocalDay>()

export function localDay (date: string, timeZone: string): LocalDay {
  // Models of thousands of stations ask for the same few days over and over.
  const key = `${date}|${timeZone}`
  let day = days.get(key)
  if (day === undefined) {
    if (days.size >= 4096) days.clear()
    day = computeLocalDay(date, timeZone)
    days.set(key, day)
  }
  return day
}

function computeLocalDay (date: string, timeZone: string): LocalDay {
  const startMs = zonedTimeToUtc(date, 0, timeZone)
  const endMs = zonedTimeToUtc(addDays(date, 1), 0, timeZone)
  const startOffset = utcOffsetMinutes(startMs, timeZone)
  const steady = startOffset === utcOffsetMinutes(endMs - 1, timeZone)
  return {
    startMs,
    endMs,
    minuteOfDay (ms) {
      const shift = steady ? 0 : utcOffsetMinutes(ms, timeZone) - startOffset
      return (ms - startMs) / MINUTE + shift
    }
  }
}
