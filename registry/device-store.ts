import type { DatabaseSync } from 'node:sqlite'
import { DeviceId } from '../contract/index.ts'
import { RegistryError } from './registry-error.ts'
import { DeviceKind, type Device } from './schemas.ts'
import { generateSecret, type SecretHasher, type VerifySecret } from './secrets.ts'

type Row = { id: string, station_id: string, kind: string, secret_hash: string, created_at: string, rotated_at: string | null, revoked_at: string | null }

const toDevice = (r: Row): Device => ({
  id: r.id, stationId: r.station_id, kind: r.kind as Device['kind'], createdAt: r.created_at, rotatedAt: r.rotated_at, revokedAt: r.revoked_at
})

export type AuthenticatedDevice = { principal: 'device', deviceId: string, stationId: string, kind: Device['kind'], secretHash: string }

/**
 * Device credentials: one secret per device, stored as a keyed hash (registry/secrets.ts). A
 * hash in the old format is replaced by a current one at the device's next successful login,
 * compare-and-set, so a rotation in between is never undone. Every change that must
 * cut a live connection (rotate, revoke) is also appended to credential_changes, which the
 * broker polls, so a CLI in another process takes effect within a second.
 */
export function createDeviceStore (db: DatabaseSync, hasher: SecretHasher) {
  const q = {
    insert: db.prepare('INSERT INTO devices (id, station_id, kind, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)'),
    get: db.prepare('SELECT * FROM devices WHERE id = ?'),
    ofStation: db.prepare('SELECT * FROM devices WHERE station_id = ? ORDER BY id'),
    rotate: db.prepare('UPDATE devices SET secret_hash = ?, rotated_at = ? WHERE id = ?'),
    upgrade: db.prepare('UPDATE devices SET secret_hash = ? WHERE id = ? AND secret_hash = ?'),
    revoke: db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    change: db.prepare('INSERT INTO credential_changes (at, station_id, device_id, change) VALUES (?, ?, ?, ?)'),
    service: db.prepare('SELECT 1 FROM services WHERE id = ?'),
    activeAuth: db.prepare(`SELECT d.*, s.status AS station_status FROM devices d JOIN stations s ON s.id = d.station_id WHERE d.id = ?`)
  }
  const now = () => new Date().toISOString()

  function get (id: string): Device | null {
    if (!DeviceId.safeParse(id).success) return null
    const row = q.get.get(id) as Row | undefined
    return row ? toDevice(row) : null
  }

  async function add (stationId: string, deviceId: string, kind: string): Promise<{ device: Device, secret: string }> {
    if (!DeviceId.safeParse(deviceId).success) throw new RegistryError('invalid', `invalid device id ${JSON.stringify(deviceId)}: 1-64 chars of a-z, 0-9 and "-"`)
    const k = DeviceKind.safeParse(kind)
    if (!k.success) throw new RegistryError('invalid', `device kind must be one of ${DeviceKind.options.join(', ')}`)
    if (q.get.get(deviceId)) throw new RegistryError('conflict', `device ${deviceId} already exists`)
    // The broker looks a username up among devices and services: one id, one principal.
    if (q.service.get(deviceId)) throw new RegistryError('conflict', `id ${deviceId} is already used by a service; device and service ids must differ (both are MQTT usernames)`)
    const secret = generateSecret()
    const hash = hasher.hash(secret)
    try {
      q.insert.run(deviceId, stationId, k.data, hash, now())
    } catch (err) {
      // A service took the id while the secret was being hashed (trigger of migration 4).
      if ((err as Error).message.includes('in use by a service')) throw new RegistryError('conflict', `id ${deviceId} is already used by a service`)
      throw err
    }
    return { device: get(deviceId)!, secret }
  }

  async function rotate (deviceId: string): Promise<{ before: Device, device: Device, secret: string }> {
    const before = get(deviceId)
    if (!before) throw new RegistryError('not_found', `device ${deviceId} not found`)
    if (before.revokedAt) throw new RegistryError('conflict', `device ${deviceId} is revoked`)
    const secret = generateSecret()
    const hash = hasher.hash(secret)
    const at = now()
    q.rotate.run(hash, at, deviceId)
    q.change.run(at, before.stationId, deviceId, 'rotated')
    return { before, device: get(deviceId)!, secret }
  }

  function revoke (deviceId: string): { before: Device, device: Device } {
    const before = get(deviceId)
    if (!before) throw new RegistryError('not_found', `device ${deviceId} not found`)
    if (before.revokedAt) throw new RegistryError('conflict', `device ${deviceId} is already revoked`)
    const at = now()
    q.revoke.run(at, deviceId)
    q.change.run(at, before.stationId, deviceId, 'revoked')
    return { before, device: get(deviceId)! }
  }

  type AuthRow = Row & { station_status: string }
  const usable = (r: AuthRow | undefined): r is AuthRow => r !== undefined && r.revoked_at === null && r.station_status === 'active'
  const toAuth = (r: AuthRow): AuthenticatedDevice => ({ principal: 'device', deviceId: r.id, stationId: r.station_id, kind: r.kind as Device['kind'], secretHash: r.secret_hash })

  function usableCredential (deviceId: string): AuthenticatedDevice | null {
    if (!DeviceId.safeParse(deviceId).success) return null
    const row = q.activeAuth.get(deviceId) as AuthRow | undefined
    return usable(row) ? toAuth(row) : null
  }

  /** The device if the secret matches its credential; an old-format hash that matched is upgraded. */
  async function checked (device: AuthenticatedDevice, secret: string, verify: VerifySecret): Promise<AuthenticatedDevice | null> {
    if (!await verify(secret, device.secretHash)) return null
    if (hasher.isCurrent(device.secretHash)) return device
    const hash = hasher.hash(secret)
    return q.upgrade.run(hash, device.deviceId, device.secretHash).changes === 1 ? { ...device, secretHash: hash } : device
  }

  return {
    get,
    add,
    rotate,
    revoke,
    ofStation: (stationId: string): Device[] => (q.ofStation.all(stationId) as Row[]).map(toDevice),
    /**
     * The device when the secret matches an unrevoked credential of an active station. One
     * hash check whatever the id (a dummy hash without a usable credential): see secrets.ts.
     */
    async authenticate (deviceId: string, secret: string, verify: VerifySecret = hasher.verify): Promise<AuthenticatedDevice | null> {
      const device = usableCredential(deviceId)
      if (device) return checked(device, secret, verify)
      await verify(secret, hasher.dummy)
      return null
    },
    /** The device if it has a usable credential (unrevoked, station active); no secret checked. */
    usableCredential,
    checked,
    /** Cheap re-check of a credential verified before: still usable, same hash. */
    ifHashMatches (deviceId: string, secretHash: string): AuthenticatedDevice | null {
      const row = q.activeAuth.get(deviceId) as AuthRow | undefined
      return usable(row) && row.secret_hash === secretHash ? toAuth(row) : null
    },
    /** Records that every connection of a station must go (suspended, retired). */
    stationChanged (stationId: string, change: string): void {
      q.change.run(now(), stationId, null, change)
    }
  }
}

export type DeviceStore = ReturnType<typeof createDeviceStore>
