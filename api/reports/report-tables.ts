// The monthly reports as tables for people: headings and figure names in the requester's
// language, a title block (station or fleet, month, time zone, generated at), and each figure's
// kind for its number format. The JSON answer keeps the machine keys; this only relabels it.
import { COLUMN_KINDS, LABELS, SUMMARY_KINDS, type Kind, type Lang, type ReportLabels } from './labels/index.ts'
import type { Cell, Table } from './table.ts'

type Row = Record<string, unknown>
const pad = (n: number) => String(n).padStart(2, '0')

function shown (v: unknown, kind: Kind, l: ReportLabels): Cell {
  if (v === null || v === undefined) return null
  if (kind === 'bool') return v ? l.yes : l.no
  if (kind === 'hour' && typeof v === 'number') return `${pad(v)}:00–${pad((v + 1) % 24)}:00`
  if (typeof v === 'number' || typeof v === 'string') return v
  return JSON.stringify(v)
}

/** `2026-05-31 18:04 (Asia/Shanghai)`: the moment the report was made, in the report's zone. */
export function generatedAt (now: Date, timeZone: string): string {
  const local = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(now)
  return `${local} (${timeZone})`
}

function rowsTable (name: string, title: Cell[][], rows: readonly Row[], l: ReportLabels): Table {
  const keys = Object.keys(rows[0] ?? {})
  const kindOf = (k: string): Kind => (COLUMN_KINDS as Record<string, Kind>)[k] ?? 'text'
  return {
    name,
    title,
    // A key without a heading (a figure added without its words) shows as the key: the label
    // tests catch it.
    columns: keys.map((k) => (l.columns as Record<string, string>)[k] ?? k),
    rows: rows.map((r) => keys.map((k) => shown(r[k], kindOf(k), l))),
    kinds: rows.map(() => keys.map(kindOf))
  }
}

const at = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Row)[k] : undefined), o)

/** Figure | value, in the order of SUMMARY_KINDS, for the figures this summary has. */
function summaryTable (title: Cell[][], summary: Row, l: ReportLabels): Table {
  const paths = (Object.keys(SUMMARY_KINDS) as Array<keyof typeof SUMMARY_KINDS>).filter((p) => p.split('.')[0]! in summary)
  return {
    name: l.sheets.summary,
    title,
    columns: [...l.summaryHeadings],
    rows: paths.map((p) => [l.figures[p], shown(at(summary, p), SUMMARY_KINDS[p], l)]),
    kinds: paths.map((p) => ['text', SUMMARY_KINDS[p]])
  }
}

export type StationReportJson = {
  month: string
  station: { id: string, name: string, district: string, timezone: string }
  summary: Row
  days: readonly Row[]
}

export function stationTables (report: StationReportJson, lang: Lang, now: Date): Table[] {
  const l = LABELS[lang]
  const s = report.station
  const title: Cell[][] = [
    [l.title.station],
    [l.block.station, `${s.name} (${s.id})`],
    [l.block.district, s.district],
    [l.block.month, report.month],
    [l.block.timezone, s.timezone],
    [l.block.generatedAt, generatedAt(now, s.timezone)]
  ]
  return [rowsTable(l.sheets.days, title, report.days, l), summaryTable(title, report.summary, l), ...alertsTable(title, report.summary, l)]
}

/** Alerts of the month per rule and severity, when the report has them (XLSX sheet after the summary). */
function alertsTable (title: Cell[][], summary: Row, l: ReportLabels): Table[] {
  const byRule = (summary.alerts as { byRule?: Row[] } | undefined)?.byRule
  return byRule === undefined || byRule.length === 0 ? [] : [rowsTable(l.sheets.alerts, title, byRule, l)]
}

export type FleetReportJson = {
  month: string
  summary: Row
  stations: ReadonlyArray<Row & { stationId: string }>
  districts: readonly Row[]
}

export function fleetTables (report: FleetReportJson, everyStation: boolean, lang: Lang, now: Date): Table[] {
  const l = LABELS[lang]
  const ids = report.stations.map((r) => r.stationId).sort()
  const scope = everyStation ? l.block.allStations : `${l.block.someStations}: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}`
  const title: Cell[][] = [
    [l.title.fleet],
    [l.block.scope, scope],
    [l.block.month, report.month],
    [l.block.timezone, l.block.stationTimezones],
    [l.block.generatedAt, generatedAt(now, 'UTC')]
  ]
  // Rank first, as in the stations table.
  const districts = report.districts.map(({ rank, ...d }) => ({ rank, ...d }))
  return [
    rowsTable(l.sheets.stations, title, report.stations, l),
    rowsTable(l.sheets.districts, title, districts, l),
    summaryTable(title, report.summary, l),
    ...alertsTable(title, report.summary, l)
  ]
}
