// The fleet view's stations kept as columns (struct of arrays), the form GET /live/summary?
// format=columns sends: the arrays of the answer are taken as they are, no object per station.
// Live `station` events (one StationLiveSummary each) patch one index; a retired station is
// removed by moving the last station into its place. Only what is drawn is built from the
// columns: the map's points (FleetMap.vue) and the 100 rows of the table's page (rowAt).
import type { FleetLiveColumns, FleetLiveSummary, LiveStationState, StationLiveSummary } from '../api/types.ts'

type Alerts = StationLiveSummary['alerts']
type Status = StationLiveSummary['status']

/** State codes: the index in this list (also the map's and the table's order of states). */
export const STATES: readonly LiveStationState[] = ['quiet', 'busy', 'full', 'offline']
const STATUSES: readonly Status[] = ['active', 'suspended', 'retired']

export type FleetStore = {
  /** Number of stations; every column has this length. */
  n: number
  ids: string[]
  name: string[]
  /** Index into `districts` (a dictionary that only grows). */
  district: number[]
  districts: string[]
  timezone: number[]
  timezones: string[]
  /** Index into STATES. */
  state: number[]
  status: number[]
  capacity: number[]
  /** NaN: no position. */
  lat: number[]
  lon: number[]
  occupancy: Array<number | null>
  temperature: Array<number | null>
  devicesOnline: number[]
  devices: number[]
  /** Epoch ms; NaN: no message yet. */
  lastMessageAt: number[]
  visitsToday: number[]
  version: number[]
  alerts: Alerts[]
  /** Station id to its index. */
  index: Map<string, number>
}

export function emptyFleet (): FleetStore {
  return {
    n: 0, ids: [], name: [], district: [], districts: [], timezone: [], timezones: [], state: [], status: [], capacity: [],
    lat: [], lon: [], occupancy: [], temperature: [], devicesOnline: [], devices: [], lastMessageAt: [], visitsToday: [], version: [],
    alerts: [], index: new Map()
  }
}

/** Maps a dictionary column's codes onto a fixed list (an unknown value: the list's last entry). */
function recode<T extends string> (d: { values: string[], codes: number[] }, into: readonly T[]): number[] {
  const map = d.values.map((v) => { const i = into.indexOf(v as T); return i < 0 ? into.length - 1 : i })
  const out = new Array<number>(d.codes.length)
  for (let i = 0; i < out.length; i++) out[i] = map[d.codes[i]!]!
  return out
}
const orNaN = (xs: Array<number | null>) => { for (let i = 0; i < xs.length; i++) if (xs[i] === null) (xs as number[])[i] = Number.NaN; return xs as number[] }

export function fleetFromColumns (f: FleetLiveColumns): FleetStore {
  const c = f.columns
  const n = f.count
  const alerts = new Array<Alerts>(n).fill(null)
  c.alerts.index.forEach((i, k) => { alerts[i] = c.alerts.values[k] ?? null })
  const index = new Map<string, number>()
  for (let i = 0; i < n; i++) index.set(c.stationId[i]!, i)
  return {
    n,
    ids: c.stationId,
    name: c.name,
    district: c.district.codes,
    districts: c.district.values,
    timezone: c.timezone.codes,
    timezones: c.timezone.values,
    state: recode(c.state, STATES),
    status: recode(c.status, STATUSES),
    capacity: c.capacity,
    lat: orNaN(c.lat),
    lon: orNaN(c.lon),
    occupancy: c.occupancy,
    temperature: c.temperature,
    devicesOnline: c.devicesOnline,
    devices: c.devices,
    lastMessageAt: orNaN(c.lastMessageAt),
    visitsToday: c.visitsToday,
    version: c.version,
    alerts,
    index
  }
}

/** The row form (an API that does not know format=columns, or a row snapshot). */
export function fleetFromRows (f: Pick<FleetLiveSummary, 'stations'>): FleetStore {
  const s = emptyFleet()
  for (const row of f.stations) upsertStation(s, row)
  return s
}

function code (values: string[], v: string): number {
  const i = values.indexOf(v)
  if (i >= 0) return i
  values.push(v)
  return values.length - 1
}

/**
 * A station's new state (a `station` event). Returns false when it changes nothing: an older
 * version than the one held (a resumed stream may repeat a change the summary already had).
 */
export function upsertStation (s: FleetStore, row: StationLiveSummary): boolean {
  let i = s.index.get(row.stationId)
  if (i !== undefined && s.version[i]! > row.version) return false
  // A station retired is sent once with that status, then no more.
  if (row.status === 'retired') {
    if (i !== undefined) removeAt(s, i)
    return i !== undefined
  }
  if (i === undefined) {
    i = s.n++
    s.ids.push(row.stationId)
    s.index.set(row.stationId, i)
  }
  s.name[i] = row.name
  s.district[i] = code(s.districts, row.district)
  s.timezone[i] = code(s.timezones, row.timezone)
  s.state[i] = Math.max(0, STATES.indexOf(row.state))
  s.status[i] = Math.max(0, STATUSES.indexOf(row.status))
  s.capacity[i] = row.capacity
  s.lat[i] = row.lat ?? Number.NaN
  s.lon[i] = row.lon ?? Number.NaN
  s.occupancy[i] = row.occupancy
  s.temperature[i] = row.temperature
  s.devicesOnline[i] = row.devicesOnline
  s.devices[i] = row.devices
  s.lastMessageAt[i] = row.lastMessageAt === null ? Number.NaN : Date.parse(row.lastMessageAt)
  s.visitsToday[i] = row.visitsToday
  s.version[i] = row.version
  s.alerts[i] = row.alerts
  return true
}

const COLUMNS = ['ids', 'name', 'district', 'timezone', 'state', 'status', 'capacity', 'lat', 'lon', 'occupancy', 'temperature',
  'devicesOnline', 'devices', 'lastMessageAt', 'visitsToday', 'version', 'alerts'] as const

/** Removes station i: the last station takes its index. */
function removeAt (s: FleetStore, i: number): void {
  const last = s.n - 1
  s.index.delete(s.ids[i]!)
  if (i !== last) {
    for (const k of COLUMNS) (s[k] as unknown[])[i] = (s[k] as unknown[])[last]
    s.index.set(s.ids[i]!, i)
  }
  for (const k of COLUMNS) (s[k] as unknown[]).length = last
  s.n = last
}

/** Station i as one object (for the rows on screen, not for the whole fleet). */
export function rowAt (s: FleetStore, i: number): StationLiveSummary {
  const at = s.lastMessageAt[i]!
  const lat = s.lat[i]!
  const lon = s.lon[i]!
  return {
    stationId: s.ids[i]!,
    name: s.name[i]!,
    district: s.districts[s.district[i]!]!,
    timezone: s.timezones[s.timezone[i]!]!,
    capacity: s.capacity[i]!,
    lat: Number.isNaN(lat) ? null : lat,
    lon: Number.isNaN(lon) ? null : lon,
    status: STATUSES[s.status[i]!]!,
    state: STATES[s.state[i]!]!,
    occupancy: s.occupancy[i] ?? null,
    temperature: s.temperature[i] ?? null,
    devicesOnline: s.devicesOnline[i]!,
    devices: s.devices[i]!,
    lastMessageAt: Number.isNaN(at) ? null : new Date(at).toISOString(),
    visitsToday: s.visitsToday[i]!,
    version: s.version[i]!,
    alerts: s.alerts[i] ?? null
  }
}
