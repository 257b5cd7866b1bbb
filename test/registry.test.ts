import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, test } from 'vitest'
import { openRegistry } from '../registry/open-registry.ts'

describe('registry', () => {
  test('stations: add, list, get, defaults, validation and conflicts', () => {
    const r = openRegistry(':memory:')
    const s = r.addStation({ id: 'sz-futian-001', name: '福田区爱心驿站', capacity: 12 })
    expect(s).toMatchObject({ id: 'sz-futian-001', timezone: 'Asia/Shanghai', capacity: 12, lat: null })
    expect(r.getStation('sz-futian-001')).toEqual(s)
    expect(r.getStation("'; DROP TABLE stations; --")).toBeNull()
    expect(() => r.addStation({ id: 'sz-futian-001', name: 'again' })).toThrow(/already exists/)
    expect(() => r.addStation({ id: 'Bad Id', name: 'x' })).toThrow(/station id/)
    expect(() => r.addStation({ id: 'x-1', name: 'x', timezone: 'Mars/Olympus' })).toThrow(/timezone/)
    expect(() => r.addStation({ id: 'x-2', name: 'x', timezone: "UTC') --" })).toThrow(/timezone/)
    r.addStation({ id: 'ber-1', name: 'Berlin', timezone: 'Europe/Berlin' })
    expect(r.listStations().map((x) => x.id)).toEqual(['ber-1', 'sz-futian-001'])
    r.close()
  })

  test('device secrets are hashed, verified and bound to their station', async () => {
    const r = openRegistry(':memory:')
    r.addStation({ id: 'sz-1', name: 'one' })
    const { device, secret } = await r.addDevice('sz-1', 'sz-1-door')
    expect(device).toMatchObject({ id: 'sz-1-door', stationId: 'sz-1', revokedAt: null })
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const ok = await r.authenticateDevice('sz-1-door', secret)
    expect(ok).toMatchObject({ deviceId: 'sz-1-door', stationId: 'sz-1' })
    expect(ok!.secretHash).toMatch(/^scrypt\$/)
    expect(ok!.secretHash).not.toContain(secret)
    expect(await r.authenticateDevice('sz-1-door', `${secret}x`)).toBeNull()
    expect(await r.authenticateDevice('nope', secret)).toBeNull()
    await expect(r.addDevice('sz-1', 'sz-1-door')).rejects.toThrow(/already exists/)
    await expect(r.addDevice('sz-404', 'd-1')).rejects.toThrow(/does not exist/)
    expect(r.deviceIfHashMatches('sz-1-door', ok!.secretHash)).toMatchObject({ stationId: 'sz-1' })
    expect(r.deviceIfHashMatches('sz-1-door', 'scrypt$other')).toBeNull()
    r.close()
  })

  test('services: scope resolved at login, one MQTT username space with devices, even past the checks', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'waystation-registry-')), 'registry.sqlite')
    const r = openRegistry(path)
    r.addStation({ id: 'n-1', name: 'one', district: 'north' })
    r.addStation({ id: 's-1', name: 'two', district: 'south' })
    await r.addDevice('n-1', 'n-1-door', 'door')
    const { secret } = await r.services.add({ id: 'board', name: 'North board', scope: { kind: 'district', district: 'north' } })
    const login = await r.authenticatePrincipal('board', secret)
    expect(login).toMatchObject({ principal: 'service', serviceId: 'board', permission: 'subscribe', stations: new Set(['n-1']) })
    expect(r.principalIfHashMatches('board', login!.secretHash)).toMatchObject({ stations: new Set(['n-1']) })
    expect(await r.authenticatePrincipal('board', `${secret}x`)).toBeNull()
    expect(await r.authenticatePrincipal('n-1-door', secret)).toBeNull()

    // A station joining the district is in scope at the next login; the feed tells the broker.
    r.stations.update('s-1', { district: 'north' })
    r.services.districtsChanged(['south', 'north'])
    expect(r.principalIfHashMatches('board', login!.secretHash)).toMatchObject({ stations: new Set(['n-1', 's-1']) })
    expect(r.changesSince(0)).toEqual([expect.objectContaining({ station_id: '', device_id: null, service_id: 'board', change: 'scope' })])

    // The triggers keep the ids disjoint when another process inserts past the store's checks.
    const raw = new DatabaseSync(path)
    expect(() => raw.prepare('INSERT INTO services (id, name, secret_hash, scope, permission, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run('n-1-door', 'x', 'h', '{"kind":"all"}', 'subscribe', 'now')).toThrow(/in use by a device/)
    expect(() => raw.prepare('INSERT INTO devices (id, station_id, secret_hash, created_at) VALUES (?, ?, ?, ?)')
      .run('board', 'n-1', 'h', 'now')).toThrow(/in use by a service/)
    raw.close()
    r.close()
  })
})
