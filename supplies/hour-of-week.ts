// Local hour of week (0 = Monday 00:00-01:00 … 167) and local date of an instant in a station's
// IANA zone, by Intl (DST-safe). One formatter per zone, and a memo per UTC hour: the model
// maps every hour of two weeks for hundreds of stations.
const WEEKDAYS: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 }
const HOUR_MS = 3_600_000

const formatters = new Map<string, Intl.DateTimeFormat>()
const memo = new Map<string, Map<number, { how: number, date: string }>>()

function formatter (timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit' })
    formatters.set(timeZone, f)
  }
  return f
}

/** Local hour of week and local date (YYYY-MM-DD) of `ms`. */
export function localHour (ms: number, timeZone: string): { how: number, date: string } {
  let m = memo.get(timeZone)
  if (m === undefined) memo.set(timeZone, m = new Map())
  // Zones with a half-hour offset: the memo key is the instant, floored to the minute.
  const key = Math.floor(ms / 60_000)
  let v = m.get(key)
  if (v === undefined) {
    const parts = Object.fromEntries(formatter(timeZone).formatToParts(ms).map((p) => [p.type, p.value]))
    v = { how: (WEEKDAYS[parts.weekday ?? 'Mon'] ?? 0) * 24 + Number(parts.hour), date: `${parts.year}-${parts.month}-${parts.day}` }
    if (m.size > 200_000) m.clear()
    m.set(key, v)
  }
  return v
}

export const hourOfDay = (how: number): number => how % 24
export const isWeekend = (how: number): boolean => how >= 5 * 24
export const floorHour = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS
export { HOUR_MS }
