import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { migrate } from './migrations.ts'
import { createPresenceStore } from './presence-store.ts'
import { NewStation, type Device, type Station } from './schemas.ts'
import { generateSecret, hashSecret, verifySecret } from './secrets.ts'
import { DeviceId, StationId } from '../contract/index.ts'

export class RegistryError extends Error {
  readonly code: 'not_found' | 'conflict' | 'invalid'
  constructor (code: 'not_found' | 'conflict' | 'invalid', message: string) {
    super(message)
    this.code = code
  }
}

type StationRow = { id: string, name: string, address: string, lat: number | null, lon: number | null, timezone: string, capacity: number, created_at: string }
type DeviceRow = { id: string, station_id: string, secret_hash: string, created_at: string, revoked_at: string | null }

const toStation = (r: StationRow): Station => ({
  id: r.id, name: r.name, address: r.address, lat: r.lat, lon: r.lon, timezone: r.timezone, capacity: r.capacity, createdAt: r.created_at
})
const toDevice = (r: DeviceRow): Device => ({ id: r.id, stationId: r.station_id, createdAt: r.created_at, revokedAt: r.revoked_at })

export type Registry = ReturnType<typeof openRegistry>

/** The station registry: stations and device credentials in one SQLite file (`:memory:` for tests). */
export function openRegistry (path: string) {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new DatabaseSync(path)
  // WAL lets the API read while the CLI writes; busy_timeout rides over a concurrent writer.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON')
  migrate(db)

  const q = {
    insertStation: db.prepare('INSERT INTO stations (id, name, address, lat, lon, timezone, capacity, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    station: db.prepare('SELECT * FROM stations WHERE id = ?'),
    stations: db.prepare('SELECT * FROM stations ORDER BY id'),
    insertDevice: db.prepare('INSERT INTO devices (id, station_id, secret_hash, created_at) VALUES (?, ?, ?, ?)'),
    device: db.prepare('SELECT * FROM devices WHERE id = ?'),
    devicesOf: db.prepare('SELECT * FROM devices WHERE station_id = ? ORDER BY id')
  }

  const now = () => new Date().toISOString()

  function getStation (id: string): Station | null {
    if (!StationId.safeParse(id).success) return null
    const row = q.station.get(id) as StationRow | undefined
    return row ? toStation(row) : null
  }

  function addStation (input: NewStation): Station {
    const parsed = NewStation.safeParse(input)
    if (!parsed.success) throw new RegistryError('invalid', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
    const s = parsed.data
    if (getStation(s.id)) throw new RegistryError('conflict', `station ${s.id} already exists`)
    q.insertStation.run(s.id, s.name, s.address, s.lat, s.lon, s.timezone, s.capacity, now())
    return getStation(s.id)!
  }

  /** Issues a credential; the clear secret is returned once and never stored. */
  async function addDevice (stationId: string, deviceId: string): Promise<{ device: Device, secret: string }> {
    if (!DeviceId.safeParse(deviceId).success) throw new RegistryError('invalid', `invalid device id ${JSON.stringify(deviceId)}`)
    if (!getStation(stationId)) throw new RegistryError('not_found', `station ${stationId} does not exist`)
    if (q.device.get(deviceId)) throw new RegistryError('conflict', `device ${deviceId} already exists`)
    const secret = generateSecret()
    q.insertDevice.run(deviceId, stationId, await hashSecret(secret), now())
    return { device: toDevice(q.device.get(deviceId) as DeviceRow), secret }
  }

  /** The device's station when the secret matches an unrevoked credential, else null. */
  async function authenticateDevice (deviceId: string, secret: string): Promise<{ deviceId: string, stationId: string, secretHash: string } | null> {
    if (!DeviceId.safeParse(deviceId).success) return null
    const row = q.device.get(deviceId) as DeviceRow | undefined
    if (!row || row.revoked_at !== null) return null
    if (!(await verifySecret(secret, row.secret_hash))) return null
    return { deviceId: row.id, stationId: row.station_id, secretHash: row.secret_hash }
  }

  /** Cheap re-check for a credential verified before: still present, unrevoked, same hash. */
  function deviceIfHashMatches (deviceId: string, secretHash: string): { deviceId: string, stationId: string, secretHash: string } | null {
    const row = q.device.get(deviceId) as DeviceRow | undefined
    if (!row || row.revoked_at !== null || row.secret_hash !== secretHash) return null
    return { deviceId: row.id, stationId: row.station_id, secretHash: row.secret_hash }
  }

  return {
    addStation,
    getStation,
    listStations: (): Station[] => (q.stations.all() as StationRow[]).map(toStation),
    addDevice,
    listDevices: (stationId: string): Device[] => (q.devicesOf.all(stationId) as DeviceRow[]).map(toDevice),
    authenticateDevice,
    deviceIfHashMatches,
    presence: createPresenceStore(db),
    close: () => db.close()
  }
}
