// The presence, device and service stores (registry/presence-store.ts, device-store.ts,
// service-store.ts) on both registry dialects: presence written by several brokers in any
// order, devices and services issued, rotated, revoked and upgraded at login (compare-and-set),
// the credential_changes rows the broker polls, and one username space for both.
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { SqlDb } from '../registry/db/sql-db.ts'
import { createDeviceStore } from '../registry/device-store.ts'
import { createPresenceStore } from '../registry/presence-store.ts'
import { RegistryError } from '../registry/registry-error.ts'
import { createServiceStore } from '../registry/service-store.ts'
import { createSecretHasher, credentialKey, generateSecret, legacyScryptHash } from '../registry/secrets.ts'
import { openTestSqlDb, SQL_DIALECTS, type TestSqlDb } from './support/sql-dbs.ts'

const hasher = createSecretHasher(credentialKey(Buffer.from(generateSecret(), 'base64url')))
// Relative to the test's clock: only their order matters.
const base = Date.now() - 3_600_000
const at = (s: number) => new Date(base + s * 1000).toISOString()

async function addStation (db: SqlDb, id: string, district = '', status = 'active'): Promise<void> {
  await db.run('INSERT INTO stations (id, name, district, status, created_at) VALUES (?, ?, ?, ?, ?)', [id, id, district, status, at(0)])
}
const changes = (db: SqlDb) => db.all<{ station_id: string, device_id: string | null, service_id: string | null, change: string }>(
  'SELECT station_id, device_id, service_id, change FROM credential_changes ORDER BY seq')
const storedHash = async (db: SqlDb, table: 'devices' | 'services', id: string) =>
  (await db.get<{ secret_hash: string }>(`SELECT secret_hash FROM ${table} WHERE id = ?`, [id]))!.secret_hash
const conflict = (message: RegExp) => expect.objectContaining({ code: 'conflict', message: expect.stringMatching(message) })

describe.each(SQL_DIALECTS)('%s', (dialect) => {
  let t: TestSqlDb
  let db: SqlDb
  beforeEach(async () => {
    t = await openTestSqlDb(dialect)
    db = t.db
    await addStation(db, 'st-1', 'north')
    await addStation(db, 'st-2', 'south')
  })
  afterEach(async () => { await t.dispose() })

  test('presence: brokers write in any order; a newer connect elsewhere wins, a late or older one does not', async () => {
    const devices = createDeviceStore(db, hasher)
    const presence = createPresenceStore(db)
    for (const id of ['st-1-door', 'st-1-hub', 'st-2-door']) await devices.add(id.slice(0, 4), id, id.endsWith('door') ? 'door' : 'hub')
    const door = async () => (await presence.ofStation('st-1')).find((p) => p.deviceId === 'st-1-door')

    await presence.record([{ deviceId: 'st-1-door', brokerId: 'b1', connected: true, lastSeenAt: at(10), connectedAt: at(10) }])
    expect(await door()).toEqual({ deviceId: 'st-1-door', connected: true, lastSeenAt: at(10), connectedAt: at(10), disconnectedAt: null, disconnectReason: null })
    // Same broker, last seen only: it moves forward, never back.
    await presence.record([{ deviceId: 'st-1-door', brokerId: 'b1', connected: true, lastSeenAt: at(30) }])
    await presence.record([{ deviceId: 'st-1-door', brokerId: 'b1', connected: true, lastSeenAt: at(20) }])
    expect(await door()).toMatchObject({ lastSeenAt: at(30), connectedAt: at(10) })

    // b2 took the device over with a newer connect (its last-seen is older than b1's: kept).
    await presence.record([{ deviceId: 'st-1-door', brokerId: 'b2', connected: true, lastSeenAt: at(25), connectedAt: at(25) }])
    expect(await door()).toMatchObject({ connected: true, lastSeenAt: at(30), connectedAt: at(25) })
    // b1 writes late: a connect older than b2's, a last-seen without a connect, a disconnect.
    await presence.record([
      { deviceId: 'st-1-door', brokerId: 'b1', connected: true, lastSeenAt: at(40), connectedAt: at(15) },
      { deviceId: 'st-1-door', brokerId: 'b1', connected: true, lastSeenAt: at(45) },
      { deviceId: 'st-1-door', brokerId: 'b1', connected: false, lastSeenAt: at(46), disconnectedAt: at(46), disconnectReason: 'connection lost' }
    ])
    expect(await door()).toMatchObject({ connected: true, lastSeenAt: at(30), connectedAt: at(25), disconnectReason: null })
    // The connection through b1 is gone: a no-op, b2 holds the device.
    expect(await presence.connectionLost('st-1-door', 'b1', at(47), 'broker lost')).toBe(false)

    // b2's own disconnect, then its reconnect (which clears the reason).
    await presence.record([{ deviceId: 'st-1-door', brokerId: 'b2', connected: false, lastSeenAt: at(50), disconnectedAt: at(50), disconnectReason: 'disconnect' }])
    expect(await door()).toMatchObject({ connected: false, lastSeenAt: at(50), disconnectedAt: at(50), disconnectReason: 'disconnect' })
    await presence.record([{ deviceId: 'st-1-door', brokerId: 'b2', connected: true, lastSeenAt: at(60), connectedAt: at(60) }])
    expect(await door()).toMatchObject({ connected: true, connectedAt: at(60), disconnectedAt: at(50), disconnectReason: null })
    expect(await presence.connectionLost('st-1-door', 'b2', at(70), 'broker lost')).toBe(true)
    expect(await presence.connectionLost('st-1-door', 'b2', at(71), 'broker lost')).toBe(false) // already
    expect(await door()).toMatchObject({ connected: false, disconnectedAt: at(70), disconnectReason: 'broker lost' })

    // A broker restarting: only its own connected rows end.
    await presence.record([
      { deviceId: 'st-1-door', brokerId: 'b1', connected: true, lastSeenAt: at(80), connectedAt: at(80) },
      { deviceId: 'st-1-hub', brokerId: 'b2', connected: true, lastSeenAt: at(80), connectedAt: at(80) }
    ])
    await presence.resetBroker('b1', at(90), 'broker restarted')
    expect(await presence.ofStation('st-1')).toEqual([
      { deviceId: 'st-1-door', connected: false, lastSeenAt: at(80), connectedAt: at(80), disconnectedAt: at(90), disconnectReason: 'broker restarted' },
      { deviceId: 'st-1-hub', connected: true, lastSeenAt: at(80), connectedAt: at(80), disconnectedAt: null, disconnectReason: null }
    ])

    // One transaction per batch: a row that cannot be written (no such device) loses the batch.
    await expect(presence.record([
      { deviceId: 'st-2-door', brokerId: 'b1', connected: true, lastSeenAt: at(95), connectedAt: at(95) },
      { deviceId: 'no-such-device', brokerId: 'b1', connected: true, lastSeenAt: at(95), connectedAt: at(95) }
    ])).rejects.toThrow(/foreign key/i)
    expect(await presence.ofStation('st-2')).toEqual([])

    // Every unrevoked device, with its presence or none.
    await devices.revoke('st-1-hub')
    expect(await presence.allDevices()).toEqual([
      { deviceId: 'st-1-door', stationId: 'st-1', kind: 'door', connected: false, lastSeenAt: at(80) },
      { deviceId: 'st-2-door', stationId: 'st-2', kind: 'door', connected: false, lastSeenAt: null }
    ])
    expect((await presence.devices()).map((d) => [d.id, d.connected])).toEqual([['st-1-door', 0], ['st-2-door', null]])
  })

  test('devices: issue, authenticate, rotate, revoke; every change the broker must act on is in the feed', async () => {
    const devices = createDeviceStore(db, hasher)
    const { device, secret } = await devices.add('st-1', 'st-1-door', 'door')
    expect(device).toMatchObject({ id: 'st-1-door', stationId: 'st-1', kind: 'door', rotatedAt: null, revokedAt: null })
    expect(await devices.get('st-1-door')).toEqual(device)
    expect(await devices.get('NOT AN ID')).toBeNull()
    expect(await devices.ofStation('st-1')).toEqual([device])
    await expect(devices.add('st-1', 'st-1-door', 'door')).rejects.toEqual(conflict(/already exists/))
    await expect(devices.add('st-1', 'st-1-x', 'toaster')).rejects.toMatchObject({ code: 'invalid' })

    const login = await devices.authenticate('st-1-door', secret)
    expect(login).toMatchObject({ principal: 'device', deviceId: 'st-1-door', stationId: 'st-1', kind: 'door' })
    expect(await devices.authenticate('st-1-door', `${secret}x`)).toBeNull()
    expect(await devices.authenticate('st-1-nobody', secret)).toBeNull()
    expect(await devices.ifHashMatches('st-1-door', login!.secretHash)).toEqual(login)

    const rotated = await devices.rotate('st-1-door')
    expect(rotated.device.rotatedAt).not.toBeNull()
    expect(await devices.authenticate('st-1-door', secret)).toBeNull()
    expect(await devices.authenticate('st-1-door', rotated.secret)).not.toBeNull()
    expect(await devices.ifHashMatches('st-1-door', login!.secretHash)).toBeNull()

    await devices.add('st-2', 'st-2-door', 'door')
    const { secret: hubSecret } = await devices.add('st-2', 'st-2-hub', 'hub')
    await db.run("UPDATE stations SET status = 'suspended' WHERE id = 'st-2'")
    await devices.stationChanged('st-2', 'suspended')
    expect(await devices.authenticate('st-2-hub', hubSecret)).toBeNull()
    expect(await devices.usableCredential('st-2-hub')).toBeNull()

    const { device: revoked } = await devices.revoke('st-1-door')
    expect(revoked.revokedAt).not.toBeNull()
    expect(await devices.authenticate('st-1-door', rotated.secret)).toBeNull()
    await expect(devices.revoke('st-1-door')).rejects.toEqual(conflict(/already revoked/))
    await expect(devices.rotate('st-1-door')).rejects.toEqual(conflict(/is revoked/))
    await expect(devices.rotate('st-9-door')).rejects.toMatchObject({ code: 'not_found' })
    expect(await changes(db)).toEqual([
      { station_id: 'st-1', device_id: 'st-1-door', service_id: null, change: 'rotated' },
      { station_id: 'st-2', device_id: null, service_id: null, change: 'suspended' },
      { station_id: 'st-1', device_id: 'st-1-door', service_id: null, change: 'revoked' }
    ])
  })

  test('devices and services: an old-format hash is upgraded at login, unless rotated meanwhile (compare-and-set)', async () => {
    const devices = createDeviceStore(db, hasher)
    const services = createServiceStore(db, hasher)
    await devices.add('st-1', 'st-1-door', 'door')
    await services.add({ id: 'board', name: 'Board', scope: { kind: 'all' } })
    const secret = 'an-old-secret-from-before-v2'
    const legacy = await legacyScryptHash(secret, { N: 16, r: 1, p: 1 })
    await db.run('UPDATE devices SET secret_hash = ?', [legacy])
    await db.run('UPDATE services SET secret_hash = ?', [legacy])

    const device = await devices.authenticate('st-1-door', secret)
    expect(device!.secretHash).toBe(await storedHash(db, 'devices', 'st-1-door'))
    expect(hasher.isCurrent(device!.secretHash)).toBe(true)
    const service = await services.authenticate('board', secret)
    expect(hasher.isCurrent(service!.secretHash)).toBe(true)
    expect(await storedHash(db, 'services', 'board')).toBe(service!.secretHash)

    // Read with the old hash, rotated before the upgrade is written: the rotation stands.
    await db.run('UPDATE devices SET secret_hash = ?', [legacy])
    await db.run('UPDATE services SET secret_hash = ?', [legacy])
    const readDevice = (await devices.usableCredential('st-1-door'))!
    const readService = (await services.usableCredential('board'))!
    const { secret: newDeviceSecret } = await devices.rotate('st-1-door')
    const { secret: newServiceSecret } = await services.rotate('board')
    expect(await devices.checked(readDevice, secret, hasher.verify)).toEqual(readDevice)
    expect(await services.checked(readService, secret, hasher.verify)).toEqual(readService)
    expect(await devices.authenticate('st-1-door', newDeviceSecret)).not.toBeNull()
    expect(await services.authenticate('board', newServiceSecret)).not.toBeNull()
  })

  test('services: scope checked and resolved at login; changes of scope, secret or status are in the feed', async () => {
    const services = createServiceStore(db, hasher)
    await expect(services.add({ id: 'board', name: 'Board', scope: { kind: 'district', district: 'east' } })).rejects.toMatchObject({ code: 'invalid', message: expect.stringContaining('districts: north, south') })
    await expect(services.add({ id: 'board', name: 'Board', scope: { kind: 'stations', stations: ['st-1', 'st-9'] } })).rejects.toMatchObject({ code: 'invalid', message: expect.stringContaining('st-9') })
    const { service, secret } = await services.add({ id: 'board', name: 'Board', scope: { kind: 'district', district: 'north' } })
    expect(service).toMatchObject({ id: 'board', status: 'active', scope: { kind: 'district', district: 'north' }, permission: 'subscribe' })
    await expect(services.add({ id: 'board', name: 'Again', scope: { kind: 'all' } })).rejects.toEqual(conflict(/already exists/))
    const login = await services.authenticate('board', secret)
    expect(login).toMatchObject({ principal: 'service', serviceId: 'board', stations: new Set(['st-1']) })
    expect(await services.authenticate('board', `${secret}x`)).toBeNull()

    await services.update('board', { name: 'Renamed' }) // what it may do is unchanged: no change row
    await services.update('board', { scope: { kind: 'stations', stations: ['st-2', 'st-1', 'st-2'] } })
    expect((await services.get('board'))!.scope).toEqual({ kind: 'stations', stations: ['st-1', 'st-2'] })
    await db.run("UPDATE stations SET district = 'north' WHERE id = 'st-2'")
    await services.update('board', { scope: { kind: 'district', district: 'north' } })
    expect(await services.ifHashMatches('board', login!.secretHash)).toMatchObject({ stations: new Set(['st-1', 'st-2']) })
    await services.districtsChanged(['north', ''])
    await services.districtsChanged(['west'])

    await services.rotate('board')
    expect(await services.authenticate('board', secret)).toBeNull()
    await services.revoke('board')
    expect(await services.list()).toEqual([expect.objectContaining({ id: 'board', name: 'Renamed', status: 'revoked' })])
    await expect(services.revoke('board')).rejects.toEqual(conflict(/already revoked/))
    await expect(services.update('board', { name: 'x' })).rejects.toEqual(conflict(/is revoked/))
    expect((await changes(db)).map((c) => [c.station_id, c.device_id, c.service_id, c.change])).toEqual([
      ['', null, 'board', 'scope'], ['', null, 'board', 'scope'], ['', null, 'board', 'scope'],
      ['', null, 'board', 'rotated'], ['', null, 'board', 'revoked']
    ])
  })

  test('device and service ids never collide: the stores refuse, the triggers hold past the checks, a race has one winner', async () => {
    const devices = createDeviceStore(db, hasher)
    const services = createServiceStore(db, hasher)
    await devices.add('st-1', 'st-1-door', 'door')
    await services.add({ id: 'board', name: 'Board', scope: { kind: 'all' } })
    await expect(services.add({ id: 'st-1-door', name: 'x', scope: { kind: 'all' } })).rejects.toEqual(conflict(/already used by a device/))
    await expect(devices.add('st-1', 'board', 'hub')).rejects.toEqual(conflict(/already used by a service/))
    // Another process inserting past the checks: the triggers of migration 4, same message in both dialects.
    await expect(db.run('INSERT INTO services (id, name, secret_hash, scope, permission, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ['st-1-door', 'x', 'h', '{"kind":"all"}', 'subscribe', at(0)])).rejects.toThrow(/in use by a device/)
    await expect(db.run('INSERT INTO devices (id, station_id, secret_hash, created_at) VALUES (?, ?, ?, ?)',
      ['board', 'st-1', 'h', at(0)])).rejects.toThrow(/in use by a service/)

    // Both at once, each past the other's check: one is issued, the other refused as a conflict.
    for (let i = 0; i < 5; i++) {
      const id = `both-${i}`
      const [d, s] = await Promise.allSettled([devices.add('st-1', id, 'hub'), services.add({ id, name: id, scope: { kind: 'all' } })])
      const outcomes = [d.status, s.status].sort()
      expect(outcomes, id).toEqual(['fulfilled', 'rejected'])
      const refused = (d.status === 'rejected' ? d.reason : (s as PromiseRejectedResult).reason) as unknown
      expect(refused).toBeInstanceOf(RegistryError)
      expect(refused).toMatchObject({ code: 'conflict' })
      const rows = await db.get<{ n: number }>('SELECT (SELECT count(*) FROM devices WHERE id = ?) + (SELECT count(*) FROM services WHERE id = ?) AS n', [id, id])
      expect(rows!.n).toBe(1)
    }
  })
})
