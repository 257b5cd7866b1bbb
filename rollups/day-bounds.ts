// Local days and local hours of a station as UTC instants, for bucketing raw events. A local
// day is 23, 24 or 25 h long; its hours start where the wall clock shows HH:00, so on a
// fall-back day the repeated hour is two buckets with the same `hour`, and on a spring-forward
// day the skipped hour has no bucket. Calendar maths comes from platform/local-day.ts.
import { addDays, daysBetween, localMidnightUtc, parseCalendarDate } from '../platform/local-day.ts'

export type HourSlot = { start: number, end: number, /** local wall-clock hour 0..23 */ hour: number }
export type LocalDay = { date: string, ymd: number, start: number, end: number, hours: HourSlot[] }

const HOUR_MS = 3_600_000
const QUARTER_MS = 900_000

/** 2026-05-01 → 20260501: rollup points carry the local date as an integer field. */
export function ymdOf (date: string): number {
  return Number(date.slice(0, 4)) * 10000 + Number(date.slice(5, 7)) * 100 + Number(date.slice(8, 10))
}

export function dateOfYmd (ymd: number): string {
  const y = Math.floor(ymd / 10000)
  const m = Math.floor(ymd / 100) % 100
  const d = ymd % 100
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** Every date from..to inclusive. */
export function datesBetween (from: string, to: string): string[] {
  const n = daysBetween(from, to)
  return Array.from({ length: Math.max(0, n + 1) }, (_, i) => addDays(from, i))
}

/** 0 = Monday .. 6 = Sunday (ISO order); a date's weekday does not depend on the zone. */
export function isoWeekday (date: string): number {
  const p = parseCalendarDate(date)
  if (!p) throw new RangeError(`not a calendar date: ${date}`)
  return (new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay() + 6) % 7
}

/** YYYY-MM of a date, and the first and last day of that month. */
export function monthOf (date: string): string {
  return date.slice(0, 7)
}

export function monthBounds (month: string): { first: string, last: string } {
  const first = `${month}-01`
  const y = Number(month.slice(0, 4))
  const m = Number(month.slice(5, 7))
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return { first, last: `${month}-${String(days).padStart(2, '0')}` }
}

const hourFormatters = new Map<string, Intl.DateTimeFormat>()
function wallClock (ms: number, timeZone: string): { hour: number, minute: number } {
  let f = hourFormatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' })
    hourFormatters.set(timeZone, f)
  }
  let hour = 0
  let minute = 0
  for (const p of f.formatToParts(ms)) {
    if (p.type === 'hour') hour = Number(p.value)
    else if (p.type === 'minute') minute = Number(p.value)
  }
  return { hour, minute }
}

/** Offset of the wall clock from UTC at an instant, in ms (to the minute). */
function offsetMs (ms: number, timeZone: string): number {
  const { hour, minute } = wallClock(ms, timeZone)
  const utcMinutes = Math.floor(ms / 60_000) % 1440
  let diff = hour * 60 + minute - utcMinutes
  if (diff > 840) diff -= 1440
  if (diff < -840) diff += 1440
  return diff * 60_000
}

const dayCache = new Map<string, LocalDay>()

/** Bounds and hour buckets of a local calendar day. */
export function localDayOf (date: string, timeZone: string): LocalDay {
  const key = `${timeZone}|${date}`
  const cached = dayCache.get(key)
  if (cached) return cached
  const start = localMidnightUtc(date, timeZone).getTime()
  const end = localMidnightUtc(addDays(date, 1), timeZone).getTime()
  const hours: HourSlot[] = []
  if (offsetMs(start, timeZone) === offsetMs(end - 1, timeZone) && (end - start) % HOUR_MS === 0) {
    // No transition inside the day: hours are whole hours from local midnight.
    for (let t = start, h = 0; t < end; t += HOUR_MS, h++) hours.push({ start: t, end: Math.min(t + HOUR_MS, end), hour: h })
  } else {
    // Every zone's offset is a multiple of 15 minutes, so local hour starts fall on UTC
    // quarter hours: look for the ones where the wall clock reads HH:00.
    const starts: Array<{ start: number, hour: number }> = [{ start, hour: wallClock(start, timeZone).hour }]
    for (let t = Math.ceil((start + 1) / QUARTER_MS) * QUARTER_MS; t < end; t += QUARTER_MS) {
      const w = wallClock(t, timeZone)
      if (w.minute === 0) starts.push({ start: t, hour: w.hour })
    }
    starts.forEach((s, i) => hours.push({ start: s.start, end: starts[i + 1]?.start ?? end, hour: s.hour }))
  }
  const day: LocalDay = { date, ymd: ymdOf(date), start, end, hours }
  if (dayCache.size > 20_000) dayCache.clear()
  dayCache.set(key, day)
  return day
}
