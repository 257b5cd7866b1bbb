// A station's opening hours (registry: '24h' or HH:MM ranges per ISO weekday, possibly
// crossing midnight) as UTC intervals of one local day, cut at hour boundaries: the pieces of
// time that open-time figures (utilisation, comfort, completeness) are computed over.
import { addDays } from '../platform/local-day.ts'
import { isoWeekday, localDayOf, type LocalDay } from './day-bounds.ts'

export type OpeningHours = '24h' | ReadonlyArray<{ days: readonly number[], open: string, close: string }>
export type Piece = { start: number, end: number }

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** The instant a wall clock in the day's zone shows `minutes` after midnight (24:00 = day end). */
function wallInstant (day: LocalDay, minutes: number): number {
  if (minutes >= 1440) return day.end
  const hour = Math.floor(minutes / 60)
  // The first hour with that reading (fall-back), or the next one after a skipped hour.
  const slot = day.hours.find((h) => h.hour === hour) ?? day.hours.find((h) => h.hour > hour)
  if (!slot) return day.end
  return Math.min(slot.start + (minutes % 60) * 60_000, slot.end)
}

/** Open intervals of local day `date`, sorted and merged. */
export function openIntervals (hours: OpeningHours, date: string, timeZone: string): Piece[] {
  const day = localDayOf(date, timeZone)
  if (hours === '24h') return [{ start: day.start, end: day.end }]
  const weekday = isoWeekday(date) + 1
  const yesterday = isoWeekday(addDays(date, -1)) + 1
  const out: Piece[] = []
  for (const r of hours) {
    const open = minutesOf(r.open)
    const close = minutesOf(r.close)
    const crosses = close <= open // 22:00-06:00 (and 08:00-08:00: round the clock)
    if (r.days.includes(weekday)) out.push({ start: wallInstant(day, open), end: crosses ? day.end : wallInstant(day, close) })
    if (crosses && r.days.includes(yesterday) && close > 0) out.push({ start: day.start, end: wallInstant(day, close) })
  }
  out.sort((a, b) => a.start - b.start)
  const merged: Piece[] = []
  for (const p of out) {
    if (p.end <= p.start) continue
    const last = merged.at(-1)
    if (last && p.start <= last.end) last.end = Math.max(last.end, p.end)
    else merged.push({ ...p })
  }
  return merged
}

/** Open intervals intersected with each hour of the day: at most an hour long each. */
export function openPieces (day: LocalDay, intervals: readonly Piece[]): Piece[][] {
  return day.hours.map((h) => {
    const pieces: Piece[] = []
    for (const iv of intervals) {
      const start = Math.max(h.start, iv.start)
      const end = Math.min(h.end, iv.end)
      if (end > start) pieces.push({ start, end })
    }
    return pieces
  })
}
