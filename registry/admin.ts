import type { Registry } from './open-registry.ts'
import type { NewService, NewStation, ServicePatch, Station, StationPatch, StationScope } from './schemas.ts'
import { parseStationCsv } from './station-import.ts'

/**
 * Every administrative change, for the CLI and the admin API alike: one code path, one audit
 * record per change (who, what, when, before/after). Secrets are returned to the caller once
 * and never written to the audit log.
 */
export function createAdmin (registry: Registry) {
  const audit = registry.audit.append

  return {
    async addStation (actor: string, input: NewStation): Promise<Station> {
      const station = await registry.stations.add(input)
      // A service scoped to this district must reconnect to see the new station.
      await registry.services.districtsChanged([station.district])
      await audit({ actor, action: 'station.create', target: `station:${station.id}`, after: station })
      return station
    },

    async updateStation (actor: string, id: string, patch: StationPatch): Promise<Station> {
      const [before, after] = await registry.stations.update(id, patch)
      if (before.status !== after.status && after.status !== 'active') {
        // The broker drops the station's connections and refuses new ones.
        await registry.devices.stationChanged(id, after.status)
      }
      // Services scoped to either district must reconnect: one of them must stop seeing it.
      if (before.district !== after.district) await registry.services.districtsChanged([before.district, after.district])
      await audit({ actor, action: after.status !== before.status ? `station.${after.status === 'active' ? 'activate' : after.status === 'suspended' ? 'suspend' : 'retire'}` : 'station.update', target: `station:${id}`, before, after })
      return after
    },

    async addDevice (actor: string, stationId: string, deviceId: string, kind: string) {
      const result = await registry.addDevice(stationId, deviceId, kind)
      await audit({ actor, action: 'device.create', target: `device:${deviceId}`, after: result.device })
      return result
    },

    async rotateDevice (actor: string, deviceId: string) {
      const { before, device, secret } = await registry.devices.rotate(deviceId)
      await audit({ actor, action: 'device.rotate', target: `device:${deviceId}`, before, after: device })
      return { device, secret }
    },

    async revokeDevice (actor: string, deviceId: string) {
      const { before, device } = await registry.devices.revoke(deviceId)
      await audit({ actor, action: 'device.revoke', target: `device:${deviceId}`, before, after: device })
      return device
    },

    async addService (actor: string, input: NewService) {
      const result = await registry.services.add(input)
      await audit({ actor, action: 'service.create', target: `service:${result.service.id}`, after: result.service })
      return result
    },

    /** A change of scope or permission drops the service's live connections (change feed). */
    async updateService (actor: string, id: string, patch: ServicePatch) {
      const { before, service } = await registry.services.update(id, patch)
      await audit({ actor, action: 'service.update', target: `service:${id}`, before, after: service })
      return service
    },

    async rotateService (actor: string, id: string) {
      const { before, service, secret } = await registry.services.rotate(id)
      await audit({ actor, action: 'service.rotate', target: `service:${id}`, before, after: service })
      return { service, secret }
    },

    async revokeService (actor: string, id: string) {
      const { before, service } = await registry.services.revoke(id)
      await audit({ actor, action: 'service.revoke', target: `service:${id}`, before, after: service })
      return service
    },

    /** `scope` absent: all stations (what every token could see before scopes existed). */
    async createToken (actor: string, input: { name: string, role: string, expiresAt?: string | null, scope?: StationScope }) {
      const result = await registry.tokens.create({ ...input, createdBy: actor })
      await audit({ actor, action: 'token.create', target: `token:${result.token.id}`, after: result.token })
      return result
    },

    async revokeToken (actor: string, id: string) {
      const { before, token } = await registry.tokens.revoke(id)
      // Its browser sessions end too (each request re-checks the token anyway).
      await registry.sessions.endForToken(id)
      await audit({ actor, action: 'token.revoke', target: `token:${id}`, before, after: token })
      return token
    },

    /** All rows or none: a bad row aborts the import with every row's error listed. */
    async importStations (actor: string, csv: string): Promise<Station[]> {
      const rows = await parseStationCsv(csv, registry.stations.existing)
      // One transaction: a station added meanwhile with one of the ids fails its add here
      // (conflict), and everything before it in the file is rolled back with it.
      return registry.transaction(async () => {
        const created: Station[] = []
        for (const row of rows) created.push(await registry.stations.add(row))
        await registry.services.districtsChanged(created.map((s) => s.district))
        await audit({ actor, action: 'station.import', target: `stations:${created.length}`, after: created.map((s) => s.id) })
        return created
      })
    }
  }
}

export type Admin = ReturnType<typeof createAdmin>
