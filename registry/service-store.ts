import { ServiceId } from '../contract/index.ts'
import type { SqlDb } from './db/sql-db.ts'
import { isUniqueViolation } from './db/sql-errors.ts'
import { invalid, RegistryError } from './registry-error.ts'
import { NewService, ServicePatch, type Service, type ServicePermission, type ServiceScope } from './schemas.ts'
import { generateSecret, type SecretHasher, type VerifySecret } from './secrets.ts'

type Row = {
  id: string, name: string, secret_hash: string, scope: string, permission: string, status: string,
  created_at: string, updated_at: string | null, rotated_at: string | null, revoked_at: string | null
}

const toService = (r: Row): Service => ({
  id: r.id, name: r.name, scope: JSON.parse(r.scope) as ServiceScope, permission: r.permission as ServicePermission,
  status: r.status as Service['status'], createdAt: r.created_at, updatedAt: r.updated_at, rotatedAt: r.rotated_at, revokedAt: r.revoked_at
})

/** A service login as the broker needs it: the scope resolved to station ids (null: every station). */
export type AuthenticatedService = {
  principal: 'service', serviceId: string, permission: ServicePermission, stations: ReadonlySet<string> | null, secretHash: string
}

/**
 * Service credentials (dashboards, alerting, operator consoles): a hashed secret, like a
 * device's (upgraded from the old format the same way), but a scope of stations instead of one. Rotation, revocation and any change of what
 * the service may see go into credential_changes, which the broker polls to drop its connections.
 */
export function createServiceStore (db: SqlDb, hasher: SecretHasher) {
  const q = {
    get: 'SELECT * FROM services WHERE id = ?',
    change: 'INSERT INTO credential_changes (at, station_id, service_id, change) VALUES (?, \'\', ?, ?)',
    inDistrict: 'SELECT id FROM stations WHERE district = ?'
  }
  const now = () => new Date().toISOString()

  async function get (id: string): Promise<Service | null> {
    if (!ServiceId.safeParse(id).success) return null
    const row = await db.get<Row>(q.get, [id])
    return row ? toService(row) : null
  }

  async function existing (id: string): Promise<Service> {
    const service = await get(id)
    if (!service) throw new RegistryError('not_found', `service ${id} not found`)
    if (service.status === 'revoked') throw new RegistryError('conflict', `service ${id} is revoked`)
    return service
  }

  // A scope naming nothing that exists is a typo, not an intention: refuse it while the admin
  // is still at the keyboard. Station lists are stored sorted and without duplicates.
  async function checkedScope (scope: ServiceScope): Promise<ServiceScope> {
    if (scope.kind === 'stations') {
      const stations = [...new Set(scope.stations)].sort()
      const unknown: string[] = []
      for (const id of stations) if (!await db.get('SELECT 1 FROM stations WHERE id = ?', [id])) unknown.push(id)
      if (unknown.length) throw new RegistryError('invalid', `scope: unknown station(s) ${unknown.slice(0, 20).join(', ')}`)
      return { kind: 'stations', stations }
    }
    if (scope.kind === 'district' && !await db.get('SELECT 1 FROM stations WHERE district = ? LIMIT 1', [scope.district])) {
      const known = (await db.all<{ district: string }>('SELECT DISTINCT district FROM stations WHERE district <> \'\' ORDER BY district LIMIT 20')).map((d) => d.district)
      throw new RegistryError('invalid', `scope: no station is in district ${JSON.stringify(scope.district)}; districts: ${known.join(', ') || '(none)'}`)
    }
    return scope
  }

  async function add (input: NewService): Promise<{ service: Service, secret: string }> {
    const parsed = NewService.safeParse(input)
    if (!parsed.success) throw invalid(parsed.error)
    const s = parsed.data
    // The broker looks a username up among devices and services: one id, one principal.
    if (await db.get('SELECT 1 FROM devices WHERE id = ?', [s.id])) throw new RegistryError('conflict', `id ${s.id} is already used by a device; service and device ids must differ (both are MQTT usernames)`)
    if (await db.get(q.get, [s.id])) throw new RegistryError('conflict', `service ${s.id} already exists`)
    const scope = await checkedScope(s.scope)
    const secret = generateSecret()
    const hash = hasher.hash(secret)
    try {
      await db.run('INSERT INTO services (id, name, secret_hash, scope, permission, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        [s.id, s.name, hash, JSON.stringify(scope), s.permission, now()])
    } catch (err) {
      // Another caller inserted the id since the checks above (the triggers of migration 4, in
      // both dialects the same message, and the primary key make that atomic).
      if ((err as Error).message.includes('in use by a device')) throw new RegistryError('conflict', `id ${s.id} is already used by a device`)
      if (isUniqueViolation(err)) throw new RegistryError('conflict', `service ${s.id} already exists`)
      throw err
    }
    return { service: (await get(s.id))!, secret }
  }

  /** Name, scope or permission; a change of what the service may do drops its connections. */
  async function update (id: string, patch: ServicePatch): Promise<{ before: Service, service: Service }> {
    const before = await existing(id)
    const parsed = ServicePatch.safeParse(patch)
    if (!parsed.success) throw invalid(parsed.error)
    const p = parsed.data
    const scope = p.scope ? await checkedScope(p.scope) : before.scope
    const permission = p.permission ?? before.permission
    const at = now()
    await db.transaction(async (tx) => {
      await tx.run('UPDATE services SET name = ?, scope = ?, permission = ?, updated_at = ? WHERE id = ?', [p.name ?? before.name, JSON.stringify(scope), permission, at, id])
      if (JSON.stringify(scope) !== JSON.stringify(before.scope) || permission !== before.permission) await tx.run(q.change, [at, id, 'scope'])
    })
    return { before, service: (await get(id))! }
  }

  async function rotate (id: string): Promise<{ before: Service, service: Service, secret: string }> {
    const before = await existing(id)
    const secret = generateSecret()
    const hash = hasher.hash(secret)
    const at = now()
    await db.transaction(async (tx) => {
      await tx.run('UPDATE services SET secret_hash = ?, rotated_at = ? WHERE id = ?', [hash, at, id])
      await tx.run(q.change, [at, id, 'rotated'])
    })
    return { before, service: (await get(id))!, secret }
  }

  async function revoke (id: string): Promise<{ before: Service, service: Service }> {
    const before = await get(id)
    if (!before) throw new RegistryError('not_found', `service ${id} not found`)
    if (before.status === 'revoked') throw new RegistryError('conflict', `service ${id} is already revoked`)
    const at = now()
    await db.transaction(async (tx) => {
      await tx.run('UPDATE services SET status = \'revoked\', revoked_at = ? WHERE id = ? AND status = \'active\'', [at, id])
      await tx.run(q.change, [at, id, 'revoked'])
    })
    return { before, service: (await get(id))! }
  }

  const usable = (r: Row | undefined): r is Row => r !== undefined && r.status === 'active'
  // A district scope is resolved with one more query; 'all' and station lists need none.
  async function toAuth (r: Row): Promise<AuthenticatedService> {
    const scope = JSON.parse(r.scope) as ServiceScope
    const stations = scope.kind === 'all'
      ? null
      : new Set(scope.kind === 'stations' ? scope.stations : (await db.all<{ id: string }>(q.inDistrict, [scope.district])).map((s) => s.id))
    return { principal: 'service', serviceId: r.id, permission: r.permission as ServicePermission, stations, secretHash: r.secret_hash }
  }

  async function usableCredential (id: string): Promise<AuthenticatedService | null> {
    if (!ServiceId.safeParse(id).success) return null
    const row = await db.get<Row>(q.get, [id])
    return usable(row) ? toAuth(row) : null
  }

  /** The service if the secret matches its credential; an old-format hash that matched is upgraded. */
  async function checked (service: AuthenticatedService, secret: string, verify: VerifySecret): Promise<AuthenticatedService | null> {
    if (!await verify(secret, service.secretHash)) return null
    if (hasher.isCurrent(service.secretHash)) return service
    const hash = hasher.hash(secret)
    // Compare-and-set: a rotation since the read keeps its hash.
    const { changes } = await db.run('UPDATE services SET secret_hash = ? WHERE id = ? AND secret_hash = ?', [hash, service.serviceId, service.secretHash])
    return changes === 1 ? { ...service, secretHash: hash } : service
  }

  return {
    get,
    add,
    update,
    rotate,
    revoke,
    list: async (): Promise<Service[]> => (await db.all<Row>('SELECT * FROM services ORDER BY id')).map(toService),
    /**
     * The service when the secret matches an active credential. One hash check whatever the
     * id (a dummy hash without a usable credential): see secrets.ts.
     */
    async authenticate (id: string, secret: string, verify: VerifySecret = hasher.verify): Promise<AuthenticatedService | null> {
      const service = await usableCredential(id)
      if (service) return checked(service, secret, verify)
      await verify(secret, hasher.dummy)
      return null
    },
    /** The service if its credential is active (scope resolved); no secret checked. */
    usableCredential,
    checked,
    /** Cheap re-check of a credential verified before: still active, same hash (scope read afresh). */
    async ifHashMatches (id: string, secretHash: string): Promise<AuthenticatedService | null> {
      if (!ServiceId.safeParse(id).success) return null
      const row = await db.get<Row>(q.get, [id])
      return usable(row) && row.secret_hash === secretHash ? toAuth(row) : null
    },
    /**
     * Stations joined or left these districts: the services scoped to them must reconnect to
     * have their station set resolved again (one that left must stop flowing at once).
     */
    async districtsChanged (districts: Iterable<string>): Promise<void> {
      const changed = new Set([...districts].filter((d) => d !== ''))
      if (changed.size === 0) return
      const at = now()
      for (const row of await db.all<Row>('SELECT * FROM services WHERE status = \'active\'')) {
        const scope = JSON.parse(row.scope) as ServiceScope
        if (scope.kind === 'district' && changed.has(scope.district)) await db.run(q.change, [at, row.id, 'scope'])
      }
    }
  }
}

export type ServiceStore = ReturnType<typeof createServiceStore>
