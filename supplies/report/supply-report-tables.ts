// The monthly supplies report as tables for people (CSV: the first; XLSX: all), in zh-CN or en,
// each with the title block of the other monthly reports (api/reports/report-tables.ts) and a
// kind per cell for its number format: units are whole numbers, money (yuan) has two decimals.
import type { Kind, Lang } from '../../api/reports/labels/index.ts'
import { generatedAt } from '../../api/reports/report-tables.ts'
import type { Cell, Table } from '../../api/reports/table.ts'
import type { FleetSupplyJson, StationSupplyJson } from './supply-report-json.ts'

const KINDS = {
  stationId: 'text', name: 'text', district: 'text', item: 'text', unit: 'text', donor: 'text', consumedFrom: 'text',
  stations: 'int', donors: 'int', consumed: 'int', restocked: 'int', purchased: 'int', donated: 'int', unlogged: 'int', quantity: 'int',
  unitPrice: 'dec2', purchaseCost: 'dec2', donatedValue: 'dec2', consumedValue: 'dec2', value: 'dec2'
} as const satisfies Record<string, Kind>
type Key = keyof typeof KINDS

type Labels = {
  title: { station: string, fleet: string }
  block: { station: string, district: string, scope: string, allStations: string, month: string, timezone: string, stationTimezones: string, generatedAt: string }
  sheets: { items: string, donors: string, stations: string, districts: string, summary: string }
  summaryHeadings: [string, string]
  from: { sensor: string, counts: string }
  columns: Record<Key, string>
}

const LABELS: Record<Lang, Labels> = {
  'zh-CN': {
    title: { station: '驿站物资月报', fleet: '物资月报（全部驿站）' },
    block: { station: '驿站', district: '区', scope: '范围', allStations: '全部驿站', month: '月份', timezone: '时区', stationTimezones: '各驿站当地时间', generatedAt: '生成时间' },
    sheets: { items: '物资', donors: '捐赠方', stations: '驿站', districts: '区', summary: '汇总' },
    summaryHeadings: ['指标', '数值'],
    from: { sensor: '货架传感器', counts: '人工盘点' },
    columns: {
      stationId: '驿站编号', name: '名称', district: '区', item: '物资编号', unit: '单位', donor: '捐赠方', consumedFrom: '消耗依据',
      stations: '驿站数', donors: '捐赠方数', consumed: '消耗（件）', restocked: '补货（件）', purchased: '采购（件）', donated: '捐赠（件）',
      unlogged: '未登记补货（件）', quantity: '数量（件）', unitPrice: '单价（元）', purchaseCost: '采购金额（元）', donatedValue: '捐赠价值（元）',
      consumedValue: '消耗价值（元）', value: '价值（元）'
    }
  },
  en: {
    title: { station: 'Station supplies report', fleet: 'Supplies report (all stations)' },
    block: { station: 'Station', district: 'District', scope: 'Scope', allStations: 'All stations', month: 'Month', timezone: 'Time zone', stationTimezones: 'Each station\'s local time', generatedAt: 'Generated at' },
    sheets: { items: 'Items', donors: 'Donors', stations: 'Stations', districts: 'Districts', summary: 'Summary' },
    summaryHeadings: ['Figure', 'Value'],
    from: { sensor: 'shelf sensor', counts: 'hand counts' },
    columns: {
      stationId: 'Station ID', name: 'Name', district: 'District', item: 'Item', unit: 'Unit', donor: 'Donor', consumedFrom: 'Consumption from',
      stations: 'Stations', donors: 'Donors', consumed: 'Consumed (units)', restocked: 'Restocked (units)', purchased: 'Purchased (units)', donated: 'Donated (units)',
      unlogged: 'Unlogged restocks (units)', quantity: 'Quantity (units)', unitPrice: 'Unit price (CNY)', purchaseCost: 'Purchase cost (CNY)', donatedValue: 'Donated value (CNY)',
      consumedValue: 'Consumed value (CNY)', value: 'Value (CNY)'
    }
  }
}

type Row = Record<string, unknown>
const kindOf = (k: string): Kind => (KINDS as Record<string, Kind>)[k] ?? 'text'
const cell = (v: unknown, l: Labels): Cell => (v === 'sensor' || v === 'counts' ? l.from[v] : typeof v === 'number' || typeof v === 'string' ? v : null)

function table (name: string, title: Cell[][], keys: readonly Key[], rows: readonly Row[], l: Labels): Table {
  return { name, title, columns: keys.map((k) => l.columns[k]), rows: rows.map((r) => keys.map((k) => cell(r[k], l))), kinds: rows.map(() => keys.map(kindOf)) }
}

const TOTALS: Key[] = ['consumed', 'restocked', 'purchased', 'donated', 'unlogged', 'purchaseCost', 'donatedValue', 'consumedValue']

function summary (title: Cell[][], s: Row, keys: readonly Key[], l: Labels): Table {
  return { name: l.sheets.summary, title, columns: [...l.summaryHeadings], rows: keys.map((k) => [l.columns[k], cell(s[k], l)]), kinds: keys.map((k) => ['text', kindOf(k)]) }
}

export function stationSupplyTables (r: StationSupplyJson, lang: Lang, now: Date): Table[] {
  const l = LABELS[lang]
  const title: Cell[][] = [
    [l.title.station], [l.block.station, `${r.station.name} (${r.station.id})`], [l.block.district, r.station.district],
    [l.block.month, r.month], [l.block.timezone, r.station.timezone], [l.block.generatedAt, generatedAt(now, r.station.timezone)]
  ]
  return [
    table(l.sheets.items, title, ['item', 'name', 'unit', ...TOTALS.slice(0, 5), 'consumedFrom', 'unitPrice', ...TOTALS.slice(5)], r.items, l),
    table(l.sheets.donors, title, ['donor', 'item', 'name', 'quantity', 'value'], r.donors, l),
    summary(title, r.summary, [...TOTALS, 'donors'], l)
  ]
}

export function fleetSupplyTables (r: FleetSupplyJson, scope: string | null, lang: Lang, now: Date): Table[] {
  const l = LABELS[lang]
  const title: Cell[][] = [
    [l.title.fleet], [l.block.scope, scope ?? l.block.allStations], [l.block.month, r.month],
    [l.block.timezone, l.block.stationTimezones], [l.block.generatedAt, generatedAt(now, 'UTC')]
  ]
  return [
    table(l.sheets.stations, title, ['stationId', 'name', 'district', ...TOTALS], r.stations, l),
    table(l.sheets.districts, title, ['district', 'stations', ...TOTALS], r.districts, l),
    table(l.sheets.items, title, ['item', 'name', 'stations', ...TOTALS], r.items, l),
    table(l.sheets.donors, title, ['donor', 'item', 'name', 'stations', 'quantity', 'value'], r.donors, l),
    summary(title, r.summary, ['stations', ...TOTALS, 'donors'], l)
  ]
}
