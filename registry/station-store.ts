import { StationId } from '../contract/index.ts'
import type { SqlDb, SqlValue } from './db/sql-db.ts'
import { invalid, RegistryError } from './registry-error.ts'
import { NewStation, StationPatch, type OpeningHours, type Station, type StationStatus } from './schemas.ts'

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

/** `list` narrowed to one status and/or one district (compared exactly, as stored). */
export type StationFilter = { status?: StationStatus, district?: string }

export function createStationStore (db: SqlDb) {
  // Ids are [a-z0-9-] and the list is in their byte order on both dialects: a PostgreSQL
  // database created with a language locale would otherwise sort 'a-2' after 'a1'.
  const byId = db.dialect === 'postgres' ? 'ORDER BY id COLLATE "C"' : 'ORDER BY id'
  // In the writer's transaction: a reader sees the new version only with the new rows. On
  // PostgreSQL the row lock also orders two nodes' concurrent station writes (a few a day).
  const bump = (tx: SqlDb) => tx.run(`INSERT INTO registry_versions (name, version) VALUES ('stations', 1)
    ON CONFLICT (name) DO UPDATE SET version = registry_versions.version + 1`)

  // `q`: the database, or the transaction a write runs in (SqlDb.transaction wants its tx used).
  async function getIn (q: SqlDb, id: string): Promise<Station | null> {
    if (!StationId.safeParse(id).success) return null
    const row = await q.get<Row>('SELECT * FROM stations WHERE id = ?', [id])
    return row ? toStation(row) : null
  }
  const get = (id: string): Promise<Station | null> => getIn(db, id)

  async function add (input: NewStation): Promise<Station> {
    const parsed = NewStation.safeParse(input)
    if (!parsed.success) throw invalid(parsed.error)
    const s = parsed.data
    return db.transaction(async (tx) => {
      // ON CONFLICT: two callers adding the same id at once get one station and one conflict.
      const { changes } = await tx.run(`INSERT INTO stations (id, name, address, district, lat, lon, datum, timezone, capacity, area_m2, opening_hours, amenities, status, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?) ON CONFLICT (id) DO NOTHING`,
      [s.id, s.name, s.address, s.district, s.lat, s.lon, s.datum, s.timezone, s.capacity, s.areaM2,
        JSON.stringify(s.openingHours), JSON.stringify(s.amenities), new Date().toISOString()])
      if (changes === 0) throw new RegistryError('conflict', `station ${s.id} already exists`)
      await bump(tx)
      return (await getIn(tx, s.id))!
    })
  }

  /** Applies a validated patch; returns [before, after]. */
  async function update (id: string, patch: StationPatch): Promise<[Station, Station]> {
    const parsed = StationPatch.safeParse(patch)
    return db.transaction(async (tx) => {
      const before = await getIn(tx, id)
      if (!before) throw new RegistryError('not_found', `station ${id} not found`)
      if (!parsed.success) throw invalid(parsed.error)
      const p = parsed.data
      const s = { ...before, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as Station
      await tx.run(`UPDATE stations SET name = ?, address = ?, district = ?, lat = ?, lon = ?, datum = ?, timezone = ?, capacity = ?, area_m2 = ?,
        opening_hours = ?, amenities = ?, status = ?, updated_at = ? WHERE id = ?`,
      [s.name, s.address, s.district, s.lat, s.lon, s.datum, s.timezone, s.capacity, s.areaM2,
        JSON.stringify(s.openingHours), JSON.stringify(s.amenities), s.status, new Date().toISOString(), id])
      await bump(tx)
      return [before, (await getIn(tx, id))!] as [Station, Station]
    })
  }

  /**
   * A number that moves with every add and update of a station, committed with it (migration
   * 12): pollers that need only the stations compare it instead of registry.changeToken(),
   * which also moves with every presence flush. Not a clock (nodes' clocks may disagree).
   */
  async function version (): Promise<number> {
    const row = await db.get<{ version: number }>("SELECT version FROM registry_versions WHERE name = 'stations'")
    return row === undefined ? 0 : Number(row.version)
  }

  /** Every station (or those matching `filter`), by id. */
  async function list (filter: StationFilter = {}): Promise<Station[]> {
    const where: string[] = []
    const params: SqlValue[] = []
    if (filter.status !== undefined) { where.push('status = ?'); params.push(filter.status) }
    if (filter.district !== undefined) { where.push('district = ?'); params.push(filter.district) }
    const rows = await db.all<Row>(`SELECT * FROM stations${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ${byId}`, params)
    return rows.map(toStation)
  }

  /** Which of `ids` are registered (one statement, for an import's check of thousands). */
  async function existing (ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>()
    const valid = ids.filter((id) => StationId.safeParse(id).success)
    // 500 per statement: under SQLite's and postgres' limits on bound parameters.
    for (let i = 0; i < valid.length; i += 500) {
      const chunk = valid.slice(i, i + 500)
      for (const r of await db.all<{ id: string }>(`SELECT id FROM stations WHERE id IN (${chunk.map(() => '?').join(', ')})`, chunk)) found.add(r.id)
    }
    return found
  }

  return { get, add, update, list, existing, version }
}

export type StationStore = ReturnType<typeof createStationStore>
