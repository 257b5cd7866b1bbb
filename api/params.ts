// Request parameters shared by several routes. Validation is the only gate between a URL
// and the registry / InfluxDB, so the schemas are strict and their messages say what to send.
import { z } from 'zod'
import { StationId } from '../contract/index.ts'
import { daysBetween } from '../platform/local-day.ts'

export const MAX_RANGE_DAYS = 366

// InfluxDB stores int64 nanoseconds (1677..2262); the API also keeps clear of the edges.
const EARLIEST = '1970-01-01'
const LATEST = '2199-12-31'

export const StationParams = z.object({
  id: StationId.describe('Station id (lower-case slug)')
})

/** A real proleptic Gregorian date, YYYY-MM-DD: 2026-02-30 and 2026-2-1 are refused. */
export const CalendarDate = z.iso.date({
  error: (issue) => issue.input === undefined ? 'required: a calendar date YYYY-MM-DD' : 'expected a calendar date YYYY-MM-DD',
  abort: true
})
  .refine((d) => d >= EARLIEST && d <= LATEST, `date must be between ${EARLIEST} and ${LATEST}`)

export const DateRangeQuery = z.object({
  from: CalendarDate.describe('First local calendar day (inclusive), YYYY-MM-DD'),
  to: CalendarDate.describe(`Last local calendar day (inclusive), YYYY-MM-DD; from..to spans at most ${MAX_RANGE_DAYS} days`)
}).superRefine((q, ctx) => {
  const span = daysBetween(q.from, q.to)
  if (span < 0) ctx.addIssue({ code: 'custom', path: ['to'], message: `to (${q.to}) is before from (${q.from})` })
  else if (span + 1 > MAX_RANGE_DAYS) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `range is ${span + 1} days; at most ${MAX_RANGE_DAYS} days per request` })
  }
})
