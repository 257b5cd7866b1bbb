// Calendar arithmetic for "a day at the station": the API speaks in local calendar days
// (YYYY-MM-DD in the station's IANA zone) and InfluxDB in UTC instants. Only Intl is used,
// so the rules come from the runtime's zone database and DST is handled by construction:
// a local day is 23, 24 or 25 h long and nothing here assumes 24.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DAY_MS = 86_400_000
// UTC offsets in use range from -12:00 to +14:00; a local midnight lies within this of
// the same wall-clock reading taken as UTC.
const MAX_OFFSET_MS = 15 * 3_600_000

/** The parts of a YYYY-MM-DD string when it names a real proleptic Gregorian date, else null. */
export function parseCalendarDate (date: string): { year: number, month: number, day: number } | null {
  const m = DATE.exec(date)
  if (!m) return null
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const t = new Date(Date.UTC(year, month - 1, day))
  // Date.UTC rolls 2026-02-30 over to 2026-03-02: a round trip exposes impossible dates.
  if (t.getUTCFullYear() !== year || t.getUTCMonth() !== month - 1 || t.getUTCDate() !== day) return null
  return { year, month, day }
}

export function isCalendarDate (date: string): boolean {
  return parseCalendarDate(date) !== null
}

function mustParse (date: string): { year: number, month: number, day: number } {
  const parts = parseCalendarDate(date)
  if (!parts) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`)
  return parts
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** `date` plus `n` calendar days (n may be negative). Pure calendar maths: no time zone involved. */
export function addDays (date: string, n: number): string {
  const { year, month, day } = mustParse(date)
  const t = new Date(Date.UTC(year, month - 1, day + n))
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`
}

/** Whole calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween (from: string, to: string): number {
  const a = mustParse(from)
  const b = mustParse(to)
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / DAY_MS)
}

// Formatters are costly to build and a station's zone is asked for on every bucket row.
// The cache cannot grow without bound: an unknown zone throws before it is stored, and
// the IANA database has a few hundred names.
const formatters = new Map<string, Intl.DateTimeFormat>()
function formatterFor (timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, calendar: 'gregory', numberingSystem: 'latn', year: 'numeric', month: '2-digit', day: '2-digit'
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** The calendar date (YYYY-MM-DD) that a wall clock in `timeZone` shows at `instant`. */
export function localDate (instant: Date | number, timeZone: string): string {
  let year = 0
  let month = 0
  let day = 0
  for (const p of formatterFor(timeZone).formatToParts(instant)) {
    if (p.type === 'year') year = Number(p.value)
    else if (p.type === 'month') month = Number(p.value)
    else if (p.type === 'day') day = Number(p.value)
  }
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`
}

/**
 * The first instant of local calendar day `date` in `timeZone`: local midnight, or, where a
 * DST change skips midnight (America/Santiago, America/Havana, Asia/Beirut...), the first
 * instant that exists on that day. When midnight happens twice, the first one.
 *
 * Defined as the earliest instant whose local date is >= `date`. Local dates never go
 * backwards as time advances, so a binary search over whole seconds (transitions fall on
 * whole seconds) finds it without guessing offsets.
 */
export function localMidnightUtc (date: string, timeZone: string): Date {
  const { year, month, day } = mustParse(date)
  const wallAsUtc = Date.UTC(year, month - 1, day)
  let lo = Math.floor((wallAsUtc - MAX_OFFSET_MS) / 1000) // local date here is still < date
  let hi = Math.ceil((wallAsUtc + MAX_OFFSET_MS) / 1000) // and here already >= date
  // Fixed-width strings compare like the dates they spell.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (localDate(mid * 1000, timeZone) >= date) hi = mid
    else lo = mid
  }
  return new Date(hi * 1000)
}
