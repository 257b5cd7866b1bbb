import { randomBytes, scryptSync } from 'node:crypto'
import { DatabaseSync } from 'node:sqlite'
import { openRegistry } from '../../registry/open-registry.ts'
import { toNewStation, type FleetStation } from '../../simulators/fleet-spec.ts'
import type { DeviceCredential } from '../../simulators/fleet-station.ts'

// A registry for benchmark fleets of up to 10,000 stations, built in a second or two.
//
// Deviation from production, on purpose: device secrets are hashed with scrypt N=16, r=1
// instead of the registry's cost (registry/secrets.ts). The stored format carries its
// parameters, so the broker verifies them unchanged, only cheaper. With scrypt N=16384 (the
// cost until commit 0bc9249) issuing 10,000 credentials took ~8 minutes of CPU and the broker's
// first authentication of each ~30 ms (10,000 stations: several minutes on 2 cores) before any
// throughput could be measured. That cost is real and is measured on its own with the
// registry's real hashes (connections scenario: cold authentications per second).
// Stations go through the registry's own store; device rows are inserted directly because the
// registry API (rightly) offers no way to choose the hash cost.

const CHEAP = { N: 16, r: 1, p: 1 }

export function cheapHash (secret: string): string {
  const salt = randomBytes(16)
  const key = scryptSync(secret, salt, 32, CHEAP)
  return `scrypt$${CHEAP.N}$${CHEAP.r}$${CHEAP.p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

/** Creates the registry file with the fleet's stations and one hub device each; returns the credentials. */
export function buildBenchRegistry (path: string, stations: FleetStation[]): Map<string, DeviceCredential[]> {
  const registry = openRegistry(path) // runs the migrations
  registry.transaction(() => { for (const s of stations) registry.addStation(toNewStation(s)) })
  registry.close()
  const db = new DatabaseSync(path)
  const insert = db.prepare('INSERT INTO devices (id, station_id, kind, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)')
  const credentials = new Map<string, DeviceCredential[]>()
  const now = new Date().toISOString()
  db.exec('BEGIN')
  for (const s of stations) {
    const deviceId = `${s.id}-hub`
    const secret = randomBytes(32).toString('base64url')
    insert.run(deviceId, s.id, 'hub', cheapHash(secret), now)
    credentials.set(s.id, [{ deviceId, secret, role: 'hub' }])
  }
  db.exec('COMMIT')
  db.close()
  return credentials
}
