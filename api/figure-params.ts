// Query parameters of the figure endpoints (usage, occupancy, peak hours, dwell, comfort,
// completeness, fleet, reports). Same date rules as /visits (api/params.ts).
import { z } from 'zod'
import { StationId } from '../contract/index.ts'
import { daysBetween } from '../platform/local-day.ts'
import { DEFAULT_BAND, formatRange, parseRange, type ComfortBand, type Range } from '../rollups/comfort-band.ts'
import { DEFAULT_DWELL_CAP_MIN, MAX_DWELL_CAP_MIN } from '../rollups/dwell.ts'
import { RAW_SOURCE_MAX_DAYS } from './figures/day-source.ts'
import { CalendarDate, MAX_RANGE_DAYS } from './params.ts'

const source = z.enum(['rollup', 'raw']).default('rollup')
  .describe(`rollup (default): rollups, with days not rolled up yet computed from raw events. raw: every day from raw events (at most ${RAW_SOURCE_MAX_DAYS} days), to verify rollups`)
const scope = z.enum(['open', 'all']).default('open')
  .describe("open (default): time-based figures (occupancy, comfort, completeness) over the station's opening hours; all: the whole day")

const rangeFields = {
  from: CalendarDate.describe('First local calendar day (inclusive), YYYY-MM-DD').meta({ example: '2026-05-01' }),
  to: CalendarDate.describe(`Last local calendar day (inclusive), YYYY-MM-DD; at most ${MAX_RANGE_DAYS} days`).meta({ example: '2026-05-31' }),
  source
}

function checkRange (q: { from: string, to: string, source?: string }, ctx: z.RefinementCtx): void {
  const span = daysBetween(q.from, q.to)
  if (span < 0) ctx.addIssue({ code: 'custom', path: ['to'], message: `to (${q.to}) is before from (${q.from})` })
  else if (span + 1 > MAX_RANGE_DAYS) ctx.addIssue({ code: 'custom', path: ['to'], message: `range is ${span + 1} days; at most ${MAX_RANGE_DAYS} days per request` })
  else if (q.source === 'raw' && span + 1 > RAW_SOURCE_MAX_DAYS) {
    ctx.addIssue({ code: 'custom', path: ['source'], message: `source=raw is limited to ${RAW_SOURCE_MAX_DAYS} days (range is ${span + 1})` })
  }
}

export const UsageQuery = z.object({
  ...rangeFields,
  granularity: z.enum(['day', 'week', 'month']).default('day').describe('Rows per local day, ISO week (Monday first) or calendar month, cut at the range')
}).superRefine(checkRange)

export const RangeQuery = z.object(rangeFields).superRefine(checkRange)

export const ScopedRangeQuery = z.object({ ...rangeFields, scope }).superRefine(checkRange)

export const SeriesQuery = z.object({
  ...rangeFields,
  scope,
  interval: z.enum(['hour', 'day']).default('day').describe('Series rows per local hour or per local day')
}).superRefine(checkRange)

export const DwellQuery = z.object({
  ...rangeFields,
  cap: z.coerce.number().int().min(1).max(MAX_DWELL_CAP_MIN).default(DEFAULT_DWELL_CAP_MIN)
    .describe(`Minutes: a longer stay, or an entry without an exit, counts as the cap (1-${MAX_DWELL_CAP_MIN}, default ${DEFAULT_DWELL_CAP_MIN})`),
  bin: z.coerce.number().int().min(1).max(60).default(10).describe('Histogram bin width in minutes')
}).superRefine(checkRange)

const band = (name: string, unit: string, d: Range) => z.string()
  .refine((s) => parseRange(s) !== null, `${name}: expected min..max, ..max or min.. (${unit})`)
  .optional()
  .describe(`Comfort range for ${name} in ${unit}, e.g. ${formatRange(d)} (the default). A non-default band is computed from raw events (at most ${RAW_SOURCE_MAX_DAYS} days).`)

export const ComfortQuery = z.object({
  ...rangeFields,
  scope,
  interval: z.enum(['hour', 'day']).default('day').describe('Series rows per local hour or per local day'),
  temperature: band('temperature', '°C', DEFAULT_BAND.temperature),
  humidity: band('humidity', '% RH', DEFAULT_BAND.humidity),
  co2: band('co2', 'ppm', DEFAULT_BAND.co2),
  pm25: band('pm25', 'µg/m³', DEFAULT_BAND.pm25)
}).superRefine((q, ctx) => {
  checkRange(q, ctx)
  const custom = ['temperature', 'humidity', 'co2', 'pm25'].some((k) => q[k as keyof typeof q] !== undefined)
  if (custom && daysBetween(q.from, q.to) + 1 > RAW_SOURCE_MAX_DAYS) {
    ctx.addIssue({ code: 'custom', path: ['temperature'], message: `a custom comfort band is limited to ${RAW_SOURCE_MAX_DAYS} days` })
  }
})

export function bandOf (q: { temperature?: string | undefined, humidity?: string | undefined, co2?: string | undefined, pm25?: string | undefined }): ComfortBand {
  const pick = (s: string | undefined, d: Range) => (s === undefined ? d : parseRange(s) ?? d)
  return {
    temperature: pick(q.temperature, DEFAULT_BAND.temperature),
    humidity: pick(q.humidity, DEFAULT_BAND.humidity),
    co2: pick(q.co2, DEFAULT_BAND.co2),
    pm25: pick(q.pm25, DEFAULT_BAND.pm25)
  }
}

export const StationList = z.string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(StationId).min(1).max(1000))
  .optional()
  .describe('Comma-separated station ids to include (default: all)')
  .meta({ example: 'sz-futian-001,sz-nanshan-002' })

export const District = z.string().trim().min(1).max(100).optional().describe('Only stations of this district (registry field)').meta({ example: '福田区' })

export const FleetQuery = z.object({
  ...rangeFields,
  stations: StationList,
  district: District,
  sort: z.enum(['visits', 'uniqueWorkers', 'firstTimeVisitors', 'utilisation', 'comfort', 'completeness']).default('visits')
    .describe('Ranking metric, highest first')
}).superRefine(checkRange)

export const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month YYYY-MM').refine((m) => m >= '1970-01' && m <= '2199-12', 'month out of range')
export const ReportFormat = z.enum(['json', 'csv', 'xlsx']).optional()
  .describe('json, csv (UTF-8 with BOM, opens in Excel/WPS) or xlsx; wins over the Accept header. Without either: json')
export const ReportLang = z.enum(['zh-CN', 'en']).optional()
  .describe('Language of the CSV/XLSX headings and title block; wins over Accept-Language. Default zh-CN. JSON keys never change')
