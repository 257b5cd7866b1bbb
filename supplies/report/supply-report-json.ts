// The monthly supplies report as JSON (machine keys): a station's items and donors, or a fleet's
// (or district's) stations, districts, items and donors; supply-report-tables.ts makes the
// tables for people (CSV, XLSX) from it.
import type { Registry } from '../../registry/open-registry.ts'
import type { QueryFn } from '../../rollups/influx-query.ts'
import type { StationInfo } from '../../api/figures/station.ts'
import { addTotals, emptyTotals, stationSupplyReports, type DonorRow, type ItemRow, type Totals } from './supply-report.ts'

export type StationSupplyJson = {
  kind: 'station-supplies', month: string
  station: { id: string, name: string, district: string, timezone: string }
  summary: Totals & { donors: number }
  items: ItemRow[]
  donors: DonorRow[]
}

export type FleetSupplyJson = {
  kind: 'fleet-supplies', month: string
  summary: Totals & { stations: number, donors: number }
  stations: Array<{ stationId: string, name: string, district: string } & Totals>
  districts: Array<{ district: string, stations: number } & Totals>
  items: Array<{ item: string, name: string, stations: number } & Totals>
  donors: DonorRow[]
}

const donorCount = (rows: readonly DonorRow[]) => new Set(rows.map((d) => d.donor)).size

export async function stationSupplyJson (registry: Registry, query: QueryFn, station: StationInfo, month: string): Promise<StationSupplyJson> {
  const [r] = await stationSupplyReports(registry, query, [station], month)
  return {
    kind: 'station-supplies', month,
    station: { id: station.id, name: station.name, district: station.district, timezone: station.timezone },
    summary: { ...r!.summary, donors: donorCount(r!.donors) },
    items: r!.items,
    donors: r!.donors
  }
}

export async function fleetSupplyJson (registry: Registry, query: QueryFn, stations: readonly StationInfo[], month: string): Promise<FleetSupplyJson> {
  const reports = await stationSupplyReports(registry, query, stations, month)
  const districts = new Map<string, { district: string, stations: number } & Totals>()
  const items = new Map<string, { item: string, name: string, stations: number } & Totals>()
  const donors = new Map<string, DonorRow & { ids: Set<string> }>()
  for (const r of reports) {
    const d = districts.get(r.station.district) ?? { district: r.station.district, stations: 0, ...emptyTotals() }
    d.stations++
    districts.set(r.station.district, addTotals(d, r.summary))
    for (const i of r.items) {
      const { item, name, unit: _u, consumedFrom: _c, unitPrice: _p, ...totals } = i
      const row = items.get(item) ?? { item, name, stations: 0, ...emptyTotals() }
      row.stations++
      items.set(item, addTotals(row, totals))
    }
    for (const g of r.donors) {
      const key = `${g.donor}\u0000${g.item}`
      const row = donors.get(key) ?? { ...g, quantity: 0, value: null, stations: 0, ids: new Set<string>() }
      row.quantity += g.quantity
      row.value = g.value === null ? row.value : Math.round(((row.value ?? 0) + g.value) * 100) / 100
      row.ids.add(r.station.id)
      row.stations = row.ids.size
      donors.set(key, row)
    }
  }
  const donorRows = [...donors.values()].map(({ ids: _ids, ...d }) => d)
    .sort((a, b) => b.quantity - a.quantity || a.donor.localeCompare(b.donor) || a.item.localeCompare(b.item))
  return {
    kind: 'fleet-supplies', month,
    summary: { ...reports.reduce((t, r) => addTotals(t, r.summary), emptyTotals()), stations: reports.length, donors: donorCount(donorRows) },
    stations: reports.map((r) => ({ stationId: r.station.id, name: r.station.name, district: r.station.district, ...r.summary }))
      .sort((a, b) => (b.consumed ?? -1) - (a.consumed ?? -1) || a.stationId.localeCompare(b.stationId)),
    districts: [...districts.values()].sort((a, b) => a.district.localeCompare(b.district)),
    items: [...items.values()].sort((a, b) => a.item.localeCompare(b.item)),
    donors: donorRows
  }
}
