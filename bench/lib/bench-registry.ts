import { randomBytes } from 'node:crypto'
import { DatabaseSync } from 'node:sqlite'
import { openRegistry } from '../../registry/open-registry.ts'
import { legacyScryptHash } from '../../registry/secrets.ts'
import { toNewStation, type FleetStation } from '../../simulators/fleet-spec.ts'
import type { DeviceCredential } from '../../simulators/fleet-station.ts'

// A registry for benchmark fleets of up to 10,000 stations, built in a second or two.
//
// Device secrets are hashed as the registry hashes them (v2: HMAC-SHA-256 under the credential
// key beside the registry file, registry/secrets.ts); device rows are inserted directly, in
// one transaction. `legacy: true` writes scrypt hashes (N=2048, r=8, p=1) as versions before
// v2 did, for the reconnect-storm benchmark's "before" (bench/scenarios/reconnect-storm.ts).
// (Before v2 the fleets used scrypt N=16 here, to keep 10,000 cold scrypt logins out of the runs.)

/** Creates the registry file with the fleet's stations and one hub device each; returns the credentials. */
export async function buildBenchRegistry (path: string, stations: FleetStation[], opts: { legacy?: boolean } = {}): Promise<Map<string, DeviceCredential[]>> {
  const registry = openRegistry(path) // runs the migrations, creates the credential key
  await registry.transaction(async () => { for (const s of stations) await registry.addStation(toNewStation(s)) })
  const secrets = stations.map(() => randomBytes(32).toString('base64url'))
  // scrypt on libuv's thread pool, 64 at a time.
  const hashes: string[] = []
  for (let i = 0; i < secrets.length; i += 64) {
    hashes.push(...await Promise.all(secrets.slice(i, i + 64).map((s) => opts.legacy ? legacyScryptHash(s) : Promise.resolve(registry.secrets.hash(s)))))
  }
  registry.close()
  const db = new DatabaseSync(path)
  const insert = db.prepare('INSERT INTO devices (id, station_id, kind, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)')
  const credentials = new Map<string, DeviceCredential[]>()
  const now = new Date().toISOString()
  db.exec('BEGIN')
  for (const [i, s] of stations.entries()) {
    const deviceId = `${s.id}-hub`
    const secret = secrets[i]!
    insert.run(deviceId, s.id, 'hub', hashes[i]!, now)
    credentials.set(s.id, [{ deviceId, secret, role: 'hub' }])
  }
  db.exec('COMMIT')
  db.close()
  return credentials
}
