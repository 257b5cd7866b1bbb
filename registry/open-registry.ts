import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { createAlertSettingsStore } from './alert-settings-store.ts'
import { createAlertStore } from './alert-store.ts'
import { createNotifyStore } from '../alerts/notify/notify-store.ts'
import { createAuditStore } from './audit-store.ts'
import { createDeviceStore, type AuthenticatedDevice } from './device-store.ts'
import { migrate } from './migrations.ts'
import { createPresenceStore } from './presence-store.ts'
import { RegistryError } from './registry-error.ts'
import type { NewStation } from './schemas.ts'
import { createSessionStore } from './session-store.ts'
import { createServiceStore, type AuthenticatedService } from './service-store.ts'
import { createStationStore } from './station-store.ts'
import { credentialKey, createSecretHasher, generateSecret, type VerifySecret } from './secrets.ts'
import { defaultCredentialKeyFile, loadCredentialKey } from './credential-key.ts'
import { createTokenStore } from './token-store.ts'
import { createSqliteDb } from './db/sqlite-db.ts'
import { createScopedDb } from './scoped-db.ts'
import { createSupplyStore } from '../supplies/supply-store.ts'

export { RegistryError } from './registry-error.ts'

export type Registry = ReturnType<typeof openRegistry>

/** Whoever an MQTT login turned out to be: a station device or a service client. */
export type Principal = AuthenticatedDevice | AuthenticatedService

/**
 * Where the key of the credential hashes comes from (registry/credential-key.ts): the key
 * itself (CREDENTIAL_KEY), or a file, default `credential.key` beside the registry. An
 * in-memory registry without either gets a random key of its own.
 */
export type RegistryOptions = { credentialKey?: string, credentialKeyFile?: string }

export type CredentialChange = { seq: number, station_id: string, device_id: string | null, service_id: string | null, change: string }

/**
 * The station registry: stations, device and service credentials, API tokens, presence and
 * the audit log in one SQLite file (`:memory:` for tests). Changes that need an audit record go
 * through registry/admin.ts, which CLI and admin API share.
 */
export function openRegistry (path: string, opts: RegistryOptions = {}) {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const loaded = path === ':memory:' && opts.credentialKey === undefined && opts.credentialKeyFile === undefined
    ? { key: credentialKey(Buffer.from(generateSecret(), 'base64url')), source: 'random (in-memory registry)', created: true }
    : loadCredentialKey({ key: opts.credentialKey, file: opts.credentialKeyFile ?? defaultCredentialKeyFile(path) })
  const hasher = createSecretHasher(loaded.key)
  const db = new DatabaseSync(path)
  // WAL lets the API read while the CLI writes; busy_timeout rides over a concurrent writer.
  db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON')
  migrate(db)
  // The stores converted to the async SqlDb use `sql`; the others still prepare statements on
  // `db`, the same connection (issue 15 item 3 converts them one at a time).
  const sql = createScopedDb(createSqliteDb(db))

  const dataVersion = db.prepare('PRAGMA data_version')
  const ownChanges = db.prepare('SELECT total_changes() AS n')

  const stations = createStationStore(sql)
  const devices = createDeviceStore(sql, hasher)
  const services = createServiceStore(sql, hasher)

  return {
    /** The credential key's id and where it came from (never the key): for the start-up log. */
    credentialKeyInfo: { id: loaded.key.id, source: loaded.source, created: loaded.created },
    /** Hashes and checks device and service secrets (registry/secrets.ts). */
    secrets: hasher,
    stations,
    devices,
    services,
    tokens: createTokenStore(sql),
    sessions: createSessionStore(sql),
    audit: createAuditStore(sql),
    presence: createPresenceStore(sql),
    alerts: createAlertStore(sql),
    alertSettings: createAlertSettingsStore(sql),
    notify: createNotifyStore(sql),
    /** Supplies catalog, deliveries, restocks, counts, weather (supplies/). */
    supplies: createSupplyStore(sql),
    /**
     * Runs fn in one transaction (all or nothing), e.g. a CSV import: the async stores' statements
     * inside fn (and what it awaits) join it (registry/scoped-db.ts); other callers' wait.
     * While some stores are still synchronous on the same connection, their statements join
     * an open transaction whoever issues them; with node:sqlite answering at once, fn's awaits
     * are microtasks and no timer or socket callback runs in between unless fn awaits real I/O.
     */
    transaction: <T>(fn: () => Promise<T>): Promise<T> => sql.transaction(() => fn()),
    /** Credential and station changes after `seq`, for the broker to drop connections. */
    changesSince: (seq: number): Promise<CredentialChange[]> =>
      sql.all<CredentialChange>('SELECT seq, station_id, device_id, service_id, change FROM credential_changes WHERE seq > ? ORDER BY seq', [seq]),
    lastChangeSeq: async (): Promise<number> => (await sql.get<{ seq: number }>('SELECT coalesce(max(seq), 0) AS seq FROM credential_changes'))!.seq,

    // Shorthands used across the code base.
    getStation: stations.get,
    listStations: () => stations.list(),
    addStation: (s: NewStation) => stations.add(s),
    addDevice: async (stationId: string, deviceId: string, kind = 'hub') => {
      if (!await stations.get(stationId)) throw new RegistryError('not_found', `station ${stationId} does not exist`)
      return devices.add(stationId, deviceId, kind)
    },
    listDevices: devices.ofStation,
    authenticateDevice: devices.authenticate,
    deviceIfHashMatches: devices.ifHashMatches,
    /**
     * An MQTT login: device ids and service ids never collide (migration 4), so at most one of
     * the two has a row. Exactly one hash check runs, against the credential's hash or, for an
     * unknown, revoked or suspended id, a dummy hash of the same kind: the time taken does not
     * tell which ids exist. A hash in the old format (scrypt) that matches is replaced by a
     * current one. `verify` is injectable so tests can count the checks. One query for a
     * device (the hot path of a reconnect storm), the device's then the service's for a service.
     */
    authenticatePrincipal: async (id: string, secret: string, verify: VerifySecret = hasher.verify): Promise<Principal | null> => {
      const device = await devices.usableCredential(id)
      if (device) return devices.checked(device, secret, verify)
      const service = await services.usableCredential(id)
      if (service) return services.checked(service, secret, verify)
      await verify(secret, hasher.dummy)
      return null
    },
    principalIfHashMatches: async (id: string, secretHash: string): Promise<Principal | null> =>
      (await devices.ifHashMatches(id, secretHash)) ?? services.ifHashMatches(id, secretHash),
    /**
     * Differs from an earlier answer whenever anything may have changed in the registry since:
     * SQLite's data_version moves when another connection (a worker, the CLI) commits, and
     * total_changes() counts this connection's own writes. Pollers that re-read whole tables
     * (the live view every 2 s) ask this first: two statements instead of every station and
     * device, which was most of the idle CPU with 10,000 stations (bench/RESULTS.md).
     */
    changeToken: (): string => `${(dataVersion.get() as { data_version: number }).data_version}:${(ownChanges.get() as { n: number }).n}`,
    close: () => db.close()
  }
}
