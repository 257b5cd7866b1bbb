import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { Registry } from '../registry/open-registry.ts'
import { toNewStation, type FleetStation } from './fleet-spec.ts'
import type { DeviceCredential, DeviceRole } from './fleet-station.ts'

// Device credentials of a simulated fleet. A secret exists in clear only when the registry
// issues it, so the fleet keeps them in a JSON file (mode 0600), as real devices keep their
// own. The same file lets the simulator drive a remote stack whose operator provisioned the
// devices: { "devices": { "<stationId>": [{ "deviceId", "secret", "role" }] } }.

export type DeviceLayout = 'hub' | 'split'
export type CredentialsFile = { devices: Record<string, DeviceCredential[]> }

const ROLES: Record<DeviceLayout, DeviceRole[]> = { hub: ['hub'], split: ['door', 'sensors', 'shelf'] }

export function readCredentials (path: string): Map<string, DeviceCredential[]> {
  const file = JSON.parse(readFileSync(path, 'utf8')) as Partial<CredentialsFile>
  if (typeof file.devices !== 'object' || file.devices === null) throw new Error(`${path}: expected {"devices": {"<stationId>": [{"deviceId", "secret", "role"}]}}`)
  return new Map(Object.entries(file.devices))
}

export function writeCredentials (path: string, credentials: Map<string, DeviceCredential[]>): void {
  writeFileSync(path, JSON.stringify({ devices: Object.fromEntries(credentials) }, null, 1), { mode: 0o600 })
}

/**
 * Registers the fleet's stations and devices that are missing, idempotently: stations and
 * devices already in the registry are kept, and their secrets taken from `path`. Issuing a
 * credential costs one scrypt hash (~50 ms of CPU), so 10,000 devices take minutes once; the
 * file makes every later run start at once.
 */
export async function provisionFleet (opts: {
  registry: Registry
  stations: FleetStation[]
  layout: DeviceLayout
  path: string
  onProgress?: (done: number, total: number) => void
}): Promise<Map<string, DeviceCredential[]>> {
  const { registry, stations, layout, path } = opts
  const credentials = existsSync(path) ? readCredentials(path) : new Map<string, DeviceCredential[]>()
  let dirty = false
  let lastSave = Date.now()
  const save = () => { writeCredentials(path, credentials); dirty = false; lastSave = Date.now() }
  try {
    for (let i = 0; i < stations.length; i++) {
      const station = stations[i]!
      if (!await registry.getStation(station.id)) await registry.addStation(toNewStation(station))
      const have = credentials.get(station.id) ?? []
      const registered = new Set((await registry.listDevices(station.id)).map((d) => d.id))
      const devices: DeviceCredential[] = []
      for (const role of ROLES[layout]) {
        const deviceId = `${station.id}-${role}`
        const known = have.find((d) => d.deviceId === deviceId)
        if (known !== undefined && registered.has(deviceId)) { devices.push(known); continue }
        if (registered.has(deviceId)) {
          throw new Error(`device ${deviceId} is registered but its secret is not in ${path}; use a fresh registry or that file`)
        }
        const { secret } = await registry.addDevice(station.id, deviceId, role)
        devices.push({ deviceId, secret, role })
        dirty = true
      }
      credentials.set(station.id, devices)
      // Save now and then: an interrupted provisioning of thousands keeps what it issued.
      if (dirty && Date.now() - lastSave > 5_000) save()
      opts.onProgress?.(i + 1, stations.length)
    }
  } finally {
    if (dirty) save()
  }
  return credentials
}
