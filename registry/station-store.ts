import type { DatabaseSync } from 'node:sqlite'
import { StationId } from '../contract/index.ts'
import { invalid, RegistryError } from './registry-error.ts'
import { NewStation, StationPatch, type OpeningHours, type Station } from './schemas.ts'

type Row = {
  id: string, name: string, address: string, district: string, lat: number | null, lon: number | null, datum: string, timezone: string,
  capacity: number, area_m2: number | null, opening_hours: string, amenities: string, status: string, created_at: string, updated_at: string | null
}

const toStation = (r: Row): Station => ({
  id: r.id,
  name: r.name,
  address: r.address,
  district: r.district,
  lat: r.lat,
  lon: r.lon,
  datum: r.datum as Station['datum'],
  timezone: r.timezone,
  capacity: r.capacity,
  areaM2: r.area_m2,
  openingHours: JSON.parse(r.opening_hours) as OpeningHours,
  amenities: JSON.parse(r.amenities) as Station['amenities'],
  status: r.status as Station['status'],
  createdAt: r.created_at,
  updatedAt: r.updated_at
})

export function createStationStore (db: DatabaseSync) {
  const q = {
    insert: db.prepare(`INSERT INTO stations (id, name, address, district, lat, lon, datum, timezone, capacity, area_m2, opening_hours, amenities, status, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)`),
    update: db.prepare(`UPDATE stations SET name = ?, address = ?, district = ?, lat = ?, lon = ?, datum = ?, timezone = ?, capacity = ?, area_m2 = ?,
      opening_hours = ?, amenities = ?, status = ?, updated_at = ? WHERE id = ?`),
    get: db.prepare('SELECT * FROM stations WHERE id = ?'),
    all: db.prepare('SELECT * FROM stations ORDER BY id')
  }

  function get (id: string): Station | null {
    if (!StationId.safeParse(id).success) return null
    const row = q.get.get(id) as Row | undefined
    return row ? toStation(row) : null
  }

  function add (input: NewStation): Station {
    const parsed = NewStation.safeParse(input)
    if (!parsed.success) throw invalid(parsed.error)
    const s = parsed.data
    if (get(s.id)) throw new RegistryError('conflict', `station ${s.id} already exists`)
    q.insert.run(s.id, s.name, s.address, s.district, s.lat, s.lon, s.datum, s.timezone, s.capacity, s.areaM2,
      JSON.stringify(s.openingHours), JSON.stringify(s.amenities), new Date().toISOString())
    return get(s.id)!
  }

  /** Applies a validated patch; returns [before, after]. */
  function update (id: string, patch: StationPatch): [Station, Station] {
    const before = get(id)
    if (!before) throw new RegistryError('not_found', `station ${id} not found`)
    const parsed = StationPatch.safeParse(patch)
    if (!parsed.success) throw invalid(parsed.error)
    const p = parsed.data
    const s = { ...before, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as Station
    q.update.run(s.name, s.address, s.district, s.lat, s.lon, s.datum, s.timezone, s.capacity, s.areaM2,
      JSON.stringify(s.openingHours), JSON.stringify(s.amenities), s.status, new Date().toISOString(), id)
    return [before, get(id)!]
  }

  return { get, add, update, list: (): Station[] => (q.all.all() as Row[]).map(toStation) }
}

export type StationStore = ReturnType<typeof createStationStore>
