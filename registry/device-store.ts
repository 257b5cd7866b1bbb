import { DeviceId } from '../contract/index.ts'
import type { SqlDb } from './db/sql-db.ts'
import { isUniqueViolation } from './db/sql-errors.ts'
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
export function createDeviceStore (db: SqlDb, hasher: SecretHasher) {
  const q = {
    get: 'SELECT * FROM devices WHERE id = ?',
    change: 'INSERT INTO credential_changes (at, station_id, device_id, change) VALUES (?, ?, ?, ?)',
    // The login's one query: the credential and whether its station is active.
    activeAuth: 'SELECT d.*, s.status AS station_status FROM devices d JOIN stations s ON s.id = d.station_id WHERE d.id = ?'
  }
  const now = () => new Date().toISOString()

  async function get (id: string): Promise<Device | null> {
    if (!DeviceId.safeParse(id).success) return null
    const row = await db.get<Row>(q.get, [id])
    return row ? toDevice(row) : null
  }

  async function add (stationId: string, deviceId: string, kind: string): Promise<{ device: Device, secret: string }> {
    if (!DeviceId.safeParse(deviceId).success) throw new RegistryError('invalid', `invalid device id ${JSON.stringify(deviceId)}: 1-64 chars of a-z, 0-9 and "-"`)
    const k = DeviceKind.safeParse(kind)
    if (!k.success) throw new RegistryError('invalid', `device kind must be one of ${DeviceKind.options.join(', ')}`)
    if (await db.get(q.get, [deviceId])) throw new RegistryError('conflict', `device ${deviceId} already exists`)
    // The broker looks a username up among devices and services: one id, one principal.
    if (await db.get('SELECT 1 FROM services WHERE id = ?', [deviceId])) throw new RegistryError('conflict', `id ${deviceId} is already used by a service; device and service ids must differ (both are MQTT usernames)`)
    const secret = generateSecret()
    const hash = hasher.hash(secret)
    try {
      await db.run('INSERT INTO devices (id, station_id, kind, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)', [deviceId, stationId, k.data, hash, now()])
    } catch (err) {
      // Another caller took the id since the checks above: a service (the triggers of migration
      // 4 raise the same message in both dialects, registry/db/migrate-sql.ts) or a device.
      if ((err as Error).message.includes('in use by a service')) throw new RegistryError('conflict', `id ${deviceId} is already used by a service`)
      if (isUniqueViolation(err)) throw new RegistryError('conflict', `device ${deviceId} already exists`)
      throw err
    }
    return { device: (await get(deviceId))!, secret }
  }

  async function rotate (deviceId: string): Promise<{ before: Device, device: Device, secret: string }> {
    const before = await get(deviceId)
    if (!before) throw new RegistryError('not_found', `device ${deviceId} not found`)
    if (before.revokedAt) throw new RegistryError('conflict', `device ${deviceId} is revoked`)
    const secret = generateSecret()
    const hash = hasher.hash(secret)
    const at = now()
    // The new hash and the change the broker polls for land together or not at all.
    await db.transaction(async (tx) => {
      await tx.run('UPDATE devices SET secret_hash = ?, rotated_at = ? WHERE id = ?', [hash, at, deviceId])
      await tx.run(q.change, [at, before.stationId, deviceId, 'rotated'])
    })
    return { before, device: (await get(deviceId))!, secret }
  }

  async function revoke (deviceId: string): Promise<{ before: Device, device: Device }> {
    const before = await get(deviceId)
    if (!before) throw new RegistryError('not_found', `device ${deviceId} not found`)
    if (before.revokedAt) throw new RegistryError('conflict', `device ${deviceId} is already revoked`)
    const at = now()
    await db.transaction(async (tx) => {
      await tx.run('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, deviceId])
      await tx.run(q.change, [at, before.stationId, deviceId, 'revoked'])
    })
    return { before, device: (await get(deviceId))! }
  }

  type AuthRow = Row & { station_status: string }
  const usable = (r: AuthRow | undefined): r is AuthRow => r !== undefined && r.revoked_at === null && r.station_status === 'active'
  const toAuth = (r: AuthRow): AuthenticatedDevice => ({ principal: 'device', deviceId: r.id, stationId: r.station_id, kind: r.kind as Device['kind'], secretHash: r.secret_hash })

  async function usableCredential (deviceId: string): Promise<AuthenticatedDevice | null> {
    if (!DeviceId.safeParse(deviceId).success) return null
    const row = await db.get<AuthRow>(q.activeAuth, [deviceId])
    return usable(row) ? toAuth(row) : null
  }

  /** The device if the secret matches its credential; an old-format hash that matched is upgraded. */
  async function checked (device: AuthenticatedDevice, secret: string, verify: VerifySecret): Promise<AuthenticatedDevice | null> {
    if (!await verify(secret, device.secretHash)) return null
    if (hasher.isCurrent(device.secretHash)) return device
    const hash = hasher.hash(secret)
    // Compare-and-set: a rotation since the read keeps its hash.
    const { changes } = await db.run('UPDATE devices SET secret_hash = ? WHERE id = ? AND secret_hash = ?', [hash, device.deviceId, device.secretHash])
    return changes === 1 ? { ...device, secretHash: hash } : device
  }

  return {
    get,
    add,
    rotate,
    revoke,
    ofStation: async (stationId: string): Promise<Device[]> => (await db.all<Row>('SELECT * FROM devices WHERE station_id = ? ORDER BY id', [stationId])).map(toDevice),
    /**
     * The device when the secret matches an unrevoked credential of an active station. One
     * hash check whatever the id (a dummy hash without a usable credential): see secrets.ts.
     */
    async authenticate (deviceId: string, secret: string, verify: VerifySecret = hasher.verify): Promise<AuthenticatedDevice | null> {
      const device = await usableCredential(deviceId)
      if (device) return checked(device, secret, verify)
      await verify(secret, hasher.dummy)
      return null
    },
    /** The device if it has a usable credential (unrevoked, station active); no secret checked. */
    usableCredential,
    checked,
    /** Cheap re-check of a credential verified before: still usable, same hash. */
    async ifHashMatches (deviceId: string, secretHash: string): Promise<AuthenticatedDevice | null> {
      if (!DeviceId.safeParse(deviceId).success) return null
      const row = await db.get<AuthRow>(q.activeAuth, [deviceId])
      return usable(row) && row.secret_hash === secretHash ? toAuth(row) : null
    },
    /** Records that every connection of a station must go (suspended, retired). */
    async stationChanged (stationId: string, change: string): Promise<void> {
      await db.run(q.change, [now(), stationId, null, change])
    }
  }
}

export type DeviceStore = ReturnType<typeof createDeviceStore>
