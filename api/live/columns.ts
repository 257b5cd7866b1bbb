// The fleet summary as columns (FleetLiveColumns): one array per field instead of one object
// per station. toColumns and fromColumns are exact inverses on the fields of
// StationLiveSummary, so the two forms of GET /live/summary cannot say different things.
import type { DictColumn, FleetLiveColumns, StationLiveSummary } from './schemas.ts'

type Dict = { values: string[], codes: number[], seen: Map<string, number> }
const dict = (): Dict => ({ values: [], codes: [], seen: new Map() })
function code (d: Dict, v: string): void {
  let c = d.seen.get(v)
  if (c === undefined) { c = d.values.length; d.values.push(v); d.seen.set(v, c) }
  d.codes.push(c)
}
const plain = (d: Dict): DictColumn => ({ values: d.values, codes: d.codes })

export function toColumns (stations: readonly StationLiveSummary[], generatedAt: string, eventId: string): FleetLiveColumns {
  const n = stations.length
  const district = dict()
  const timezone = dict()
  const status = dict()
  const state = dict()
  const c = {
    stationId: new Array<string>(n), name: new Array<string>(n), capacity: new Array<number>(n),
    lat: new Array<number | null>(n), lon: new Array<number | null>(n), occupancy: new Array<number | null>(n),
    temperature: new Array<number | null>(n), devicesOnline: new Array<number>(n), devices: new Array<number>(n),
    lastMessageAt: new Array<number | null>(n), visitsToday: new Array<number>(n), version: new Array<number>(n)
  }
  const alerts: FleetLiveColumns['columns']['alerts'] = { index: [], values: [] }
  for (let i = 0; i < n; i++) {
    const s = stations[i]!
    c.stationId[i] = s.stationId
    c.name[i] = s.name
    code(district, s.district)
    code(timezone, s.timezone)
    code(status, s.status)
    code(state, s.state)
    c.capacity[i] = s.capacity
    c.lat[i] = s.lat
    c.lon[i] = s.lon
    c.occupancy[i] = s.occupancy
    c.temperature[i] = s.temperature
    c.devicesOnline[i] = s.devicesOnline
    c.devices[i] = s.devices
    c.lastMessageAt[i] = s.lastMessageAt === null ? null : Date.parse(s.lastMessageAt)
    c.visitsToday[i] = s.visitsToday
    c.version[i] = s.version
    if (s.alerts !== null) { alerts.index.push(i); alerts.values.push(s.alerts) }
  }
  return {
    format: 'columns',
    generatedAt,
    eventId,
    count: n,
    columns: { ...c, district: plain(district), timezone: plain(timezone), status: plain(status), state: plain(state), alerts }
  }
}

/** Station i of a columnar summary as the row form has it. */
export function rowOf (f: FleetLiveColumns, i: number): StationLiveSummary {
  const c = f.columns
  const at = c.lastMessageAt[i] ?? null
  const a = c.alerts.index.indexOf(i)
  return {
    stationId: c.stationId[i]!,
    name: c.name[i]!,
    district: c.district.values[c.district.codes[i]!]!,
    timezone: c.timezone.values[c.timezone.codes[i]!]!,
    capacity: c.capacity[i]!,
    lat: c.lat[i] ?? null,
    lon: c.lon[i] ?? null,
    status: c.status.values[c.status.codes[i]!] as StationLiveSummary['status'],
    state: c.state.values[c.state.codes[i]!] as StationLiveSummary['state'],
    occupancy: c.occupancy[i] ?? null,
    lastMessageAt: at === null ? null : new Date(at).toISOString(),
    visitsToday: c.visitsToday[i]!,
    version: c.version[i]!,
    temperature: c.temperature[i] ?? null,
    devicesOnline: c.devicesOnline[i]!,
    devices: c.devices[i]!,
    alerts: a < 0 ? null : c.alerts.values[a]!
  }
}

export function fromColumns (f: FleetLiveColumns): StationLiveSummary[] {
  return Array.from({ length: f.count }, (_, i) => rowOf(f, i))
}
