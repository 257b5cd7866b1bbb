// The registry object every part of Waystation holds, over either database (issue 15 item 3):
// the stores on one SqlDb (registry/db/), the credential key's hasher and the shorthands used
// across the code base. registry/open-registry.ts opens the database and calls this.
import { createAlertSettingsStore } from './alert-settings-store.ts'
import { createAlertStore } from './alert-store.ts'
import { createNotifyStore } from '../alerts/notify/notify-store.ts'
import { createAuditStore } from './audit-store.ts'
import type { CredentialKey } from './secrets.ts'
import type { SqlDb } from './db/sql-db.ts'
import { createDeviceStore, type AuthenticatedDevice } from './device-store.ts'
import { createPresenceStore } from './presence-store.ts'
import { RegistryError } from './registry-error.ts'
import type { NewStation } from './schemas.ts'
import { createScopedDb } from './scoped-db.ts'
import { createSecretHasher, type VerifySecret } from './secrets.ts'
import { createServiceStore, type AuthenticatedService } from './service-store.ts'
import { createSessionStore } from './session-store.ts'
import { createStationStore } from './station-store.ts'
import { createSupplyStore } from '../supplies/supply-store.ts'
import { createTokenStore } from './token-store.ts'

export type Registry = ReturnType<typeof buildRegistry>

/** Whoever an MQTT login turned out to be: a station device or a service client. */
export type Principal = AuthenticatedDevice | AuthenticatedService

export type CredentialChange = { seq: number, station_id: string, device_id: string | null, service_id: string | null, change: string }

export type RegistryParts = {
  /** The migrated database (not yet scoped: buildRegistry scopes it). */
  db: SqlDb
  /** The credential key and where it came from. */
  loaded: { key: CredentialKey, source: string, created: boolean }
  changeToken: () => Promise<string>
  close: () => Promise<void>
}

export function buildRegistry (parts: RegistryParts) {
  const hasher = createSecretHasher(parts.loaded.key)
  const loaded = parts.loaded
  const sql = createScopedDb(parts.db)
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
     * Runs fn in one transaction (all or nothing), e.g. a CSV import: the stores' statements
     * inside fn (and what it awaits) join it (registry/scoped-db.ts); other callers' wait
     * (SQLite: one connection) or use another connection (PostgreSQL: a pool).
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
     * Differs from an earlier answer whenever anything may have changed in the registry since
     * (registry/change-token.ts). Pollers that re-read whole tables (the live view every 2 s)
     * ask this first: one statement instead of every station and device, which was most of the
     * idle CPU with 10,000 stations (bench/RESULTS.md).
     */
    changeToken: parts.changeToken,
    /** Which database: 'sqlite' (the embedded file) or 'postgres' (REGISTRY_URL). */
    dialect: sql.dialect,
    close: parts.close
  }
}
