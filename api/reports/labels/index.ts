// The words of the human-readable reports (CSV, XLSX), one file per language, and how each
// figure is shown (its number format). JSON keeps the machine keys; these tables are for
// people (union staff) and are meant to be reused by a web front end as they are.
import { en } from './en.ts'
import { zhCN } from './zh-CN.ts'

/** How a figure is shown: XLSX number format, and the text written to CSV. */
export type Kind = 'text' | 'int' | 'dec1' | 'dec2' | 'pct' | 'hour' | 'bool'

/** Columns of the per-day, per-station and per-district tables (the JSON row keys). */
export const COLUMN_KINDS = {
  date: 'text', rank: 'int', stationId: 'text', name: 'text', district: 'text', stations: 'int',
  visits: 'int', uniqueWorkers: 'int', denied: 'int', counterEntries: 'int', counterMinusDoor: 'int',
  firstTimeVisitors: 'int', entriesOutsideOpeningHours: 'int',
  meanOccupancy: 'dec1', maxOccupancy: 'int', utilisation: 'pct', minutesAtCapacity: 'int', medianDwellMinutes: 'int',
  comfortShare: 'pct', temperatureMean: 'dec1', humidityMean: 'dec1', co2Mean: 'int', pm25Mean: 'dec1',
  environmentShare: 'pct', occupancyGaps: 'int', doorSilentHours: 'int', complete: 'bool', incompleteDays: 'int',
  busiestHour: 'hour',
  rule: 'text', severity: 'text', fired: 'int', acknowledged: 'int', medianMinutesToAck: 'dec1'
} as const satisfies Record<string, Kind>
export type ColumnKey = keyof typeof COLUMN_KINDS

const quantity = (k: Kind) => ({ mean: k, min: k, max: k, inBandShare: 'pct' }) as const
/** Figures of the summary sheet, by their path in the JSON summary, in the order shown. */
export const SUMMARY_KINDS = {
  from: 'text', to: 'text', stations: 'int', visits: 'int', uniqueWorkers: 'int', denied: 'int',
  counterEntries: 'int', counterMinusDoor: 'int', firstTimeVisitors: 'int', entriesOutsideOpeningHours: 'int',
  'occupancy.meanOccupancy': 'dec1', 'occupancy.maxOccupancy': 'int', 'occupancy.utilisation': 'pct',
  'occupancy.minutesAtCapacity': 'int', 'occupancy.coverage': 'pct',
  'dwell.capMinutes': 'int', 'dwell.entries': 'int', 'dwell.medianMinutes': 'int', 'dwell.p90Minutes': 'int',
  'dwell.meanMinutes': 'dec1', 'dwell.atCap': 'int',
  'comfort.samples': 'int', 'comfort.comfortable': 'int', 'comfort.share': 'pct',
  ...prefixed('comfort.temperature', quantity('dec1')), ...prefixed('comfort.humidity', quantity('dec1')),
  ...prefixed('comfort.co2', quantity('int')), ...prefixed('comfort.pm25', quantity('dec1')),
  'completeness.environment.expectedMinutes': 'int', 'completeness.environment.receivedMinutes': 'int',
  'completeness.environment.share': 'pct', 'completeness.occupancy.expectedSlots': 'int',
  'completeness.occupancy.receivedSlots': 'int', 'completeness.occupancy.gaps': 'int',
  'completeness.occupancy.longestGapMinutes': 'int', 'completeness.door.silentHours': 'int',
  'completeness.complete': 'bool', 'completeness.incompleteDays': 'int',
  'busiestHour.hour': 'hour', 'busiestHour.entries': 'int',
  'alerts.fired': 'int', 'alerts.acknowledged': 'int', 'alerts.medianMinutesToAck': 'dec1'
} as const satisfies Record<string, Kind>
export type SummaryKey = keyof typeof SUMMARY_KINDS

type Prefixed<P extends string, T> = { [K in keyof T & string as `${P}.${K}`]: T[K] }
function prefixed<P extends string, T extends object> (prefix: P, o: T): Prefixed<P, T> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`${prefix}.${k}`, v])) as Prefixed<P, T>
}

export type ReportLabels = {
  title: { station: string, fleet: string }
  block: {
    station: string, district: string, scope: string, allStations: string, someStations: string,
    month: string, timezone: string, stationTimezones: string, generatedAt: string
  }
  sheets: { days: string, stations: string, districts: string, summary: string, alerts: string }
  summaryHeadings: [string, string]
  yes: string
  no: string
  /** Column headings, with the unit where there is one. */
  columns: Record<ColumnKey, string>
  /** Summary figures, with the unit where there is one. */
  figures: Record<SummaryKey, string>
}

export const LANGS = ['zh-CN', 'en'] as const
export type Lang = typeof LANGS[number]
export const DEFAULT_LANG: Lang = 'zh-CN'
export const LABELS: Record<Lang, ReportLabels> = { 'zh-CN': zhCN, en }

/**
 * The report language: `?lang=` when given, else the best supported entry of Accept-Language
 * (RFC 9110 §12.5.4; any zh-* is zh-CN, any en-* is en), else zh-CN.
 */
export function reportLang (query: Lang | undefined, acceptLanguage: string | undefined): Lang {
  if (query) return query
  const ranges = (acceptLanguage ?? '').split(',').map((part, i) => {
    const [tag = '', ...params] = part.trim().split(';')
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/i.exec(p)).find(Boolean)
    return { tag: tag.trim().toLowerCase(), q: q ? Number(q[1]) : 1, i }
  }).filter((r) => r.tag !== '' && r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i)
  for (const r of ranges) {
    if (r.tag === 'zh' || r.tag.startsWith('zh-')) return 'zh-CN'
    if (r.tag === 'en' || r.tag.startsWith('en-')) return 'en'
  }
  return DEFAULT_LANG
}
