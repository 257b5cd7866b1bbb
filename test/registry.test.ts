import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, test } from 'vitest'
import { openRegistry } from '../registry/open-registry.ts'
import { openTestRegistry, TEST_REGISTRY_DIALECT } from './support/test-registry.ts'

describe('registry', () => {
  test(`this pass's registry is on ${TEST_REGISTRY_DIALECT} (vitest.config.ts runs the registry suite on both)`, async () => {
    const r = await openTestRegistry()
    expect(r.dialect).toBe(TEST_REGISTRY_DIALECT)
    await r.close()
  })

  test('stations: add, list, get, defaults, validation and conflicts', async () => {
    const r = await openTestRegistry()
    const s = await r.addStation({ id: 'sz-futian-001', name: '福田区爱心驿站', capacity: 12 })
    expect(s).toMatchObject({ id: 'sz-futian-001', timezone: 'Asia/Shanghai', capacity: 12, lat: null })
    expect(await r.getStation('sz-futian-001')).toEqual(s)
    expect(await r.getStation("'; DROP TABLE stations; --")).toBeNull()
    await expect(r.addStation({ id: 'sz-futian-001', name: 'again' })).rejects.toThrow(/already exists/)
    await expect(r.addStation({ id: 'Bad Id', name: 'x' })).rejects.toThrow(/station id/)
    await expect(r.addStation({ id: 'x-1', name: 'x', timezone: 'Mars/Olympus' })).rejects.toThrow(/timezone/)
    await expect(r.addStation({ id: 'x-2', name: 'x', timezone: "UTC') --" })).rejects.toThrow(/timezone/)
    await r.addStation({ id: 'ber-1', name: 'Berlin', timezone: 'Europe/Berlin' })
    expect((await r.listStations()).map((x) => x.id)).toEqual(['ber-1', 'sz-futian-001'])
    r.close()
  })

  test('device secrets are hashed, verified and bound to their station', async () => {
    const r = await openTestRegistry()
    await r.addStation({ id: 'sz-1', name: 'one' })
    const { device, secret } = await r.addDevice('sz-1', 'sz-1-door')
    expect(device).toMatchObject({ id: 'sz-1-door', stationId: 'sz-1', revokedAt: null })
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const ok = await r.authenticateDevice('sz-1-door', secret)
    expect(ok).toMatchObject({ deviceId: 'sz-1-door', stationId: 'sz-1' })
    expect(ok!.secretHash).toMatch(/^v2\$[A-Za-z0-9_-]{8}\$[A-Za-z0-9_-]{43}$/)
    expect(ok!.secretHash).not.toContain(secret)
    expect(await r.authenticateDevice('sz-1-door', `${secret}x`)).toBeNull()
    expect(await r.authenticateDevice('nope', secret)).toBeNull()
    await expect(r.addDevice('sz-1', 'sz-1-door')).rejects.toThrow(/already exists/)
    await expect(r.addDevice('sz-404', 'd-1')).rejects.toThrow(/does not exist/)
    expect(await r.deviceIfHashMatches('sz-1-door', ok!.secretHash)).toMatchObject({ stationId: 'sz-1' })
    expect(await r.deviceIfHashMatches('sz-1-door', 'scrypt$other')).toBeNull()
    r.close()
  })

  test('services: scope resolved at login, one MQTT username space with devices, even past the checks', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'waystation-registry-')), 'registry.sqlite')
    const r = openRegistry(path)
    await r.addStation({ id: 'n-1', name: 'one', district: 'north' })
    await r.addStation({ id: 's-1', name: 'two', district: 'south' })
    await r.addDevice('n-1', 'n-1-door', 'door')
    const { secret } = await r.services.add({ id: 'board', name: 'North board', scope: { kind: 'district', district: 'north' } })
    const login = await r.authenticatePrincipal('board', secret)
    expect(login).toMatchObject({ principal: 'service', serviceId: 'board', permission: 'subscribe', stations: new Set(['n-1']) })
    expect(await r.principalIfHashMatches('board', login!.secretHash)).toMatchObject({ stations: new Set(['n-1']) })
    expect(await r.authenticatePrincipal('board', `${secret}x`)).toBeNull()
    expect(await r.authenticatePrincipal('n-1-door', secret)).toBeNull()

    // A station joining the district is in scope at the next login; the feed tells the broker.
    await r.stations.update('s-1', { district: 'north' })
    await r.services.districtsChanged(['south', 'north'])
    expect(await r.principalIfHashMatches('board', login!.secretHash)).toMatchObject({ stations: new Set(['n-1', 's-1']) })
    expect(await r.changesSince(0)).toEqual([expect.objectContaining({ station_id: '', device_id: null, service_id: 'board', change: 'scope' })])

    // The triggers keep the ids disjoint when another process inserts past the store's checks.
    const raw = new DatabaseSync(path)
    expect(() => raw.prepare('INSERT INTO services (id, name, secret_hash, scope, permission, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run('n-1-door', 'x', 'h', '{"kind":"all"}', 'subscribe', 'now')).toThrow(/in use by a device/)
    expect(() => raw.prepare('INSERT INTO devices (id, station_id, secret_hash, created_at) VALUES (?, ?, ?, ?)')
      .run('board', 'n-1', 'h', 'now')).toThrow(/in use by a service/)
    raw.close()
    r.close()
  })

  test('sessions: only the id\'s hash is stored, expiry slides at most once a minute up to the token\'s, ends are remembered', async () => {
    const r = await openTestRegistry()
    const tokenExpiry = new Date(Date.now() + 3 * 3_600_000).toISOString()
    const { token } = await r.tokens.create({ name: 'wall', role: 'viewer', createdBy: 'test', expiresAt: tokenExpiry, scope: { kind: 'district', district: 'North' } })
    const t0 = Date.now()
    const hour = 3_600_000
    const { id, session } = await r.sessions.open({ tokenId: token.id, ttlMs: hour, tokenExpiresAt: token.expiresAt, now: t0 })
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(session.idHash).toMatch(/^[0-9a-f]{64}$/)
    expect(session.idHash).not.toContain(id)
    expect(Date.parse(session.expiresAt)).toBe(t0 + hour)
    expect(await r.sessions.lookup(id, t0 + 1000)).toEqual({ state: 'active', session })
    expect(await r.sessions.lookup('A'.repeat(43))).toEqual({ state: 'unknown' })
    expect(await r.sessions.lookup('not a session id')).toEqual({ state: 'unknown' })

    // Within a minute nothing is written; after it, the expiry slides, capped at the token's.
    expect(await r.sessions.touch(session, hour, token.expiresAt, t0 + 30_000)).toEqual({ session, renewed: false })
    const slid = await r.sessions.touch(session, hour, token.expiresAt, t0 + 61_000)
    expect(slid.renewed).toBe(true)
    expect(Date.parse(slid.session.expiresAt)).toBe(t0 + 61_000 + hour)
    expect(await r.sessions.lookup(id, t0 + 62_000)).toEqual({ state: 'active', session: slid.session })
    const late = t0 + 2.5 * hour
    expect((await r.sessions.touch(slid.session, hour, token.expiresAt, late)).session.expiresAt).toBe(tokenExpiry)
    expect(await r.sessions.lookup(id, Date.parse(tokenExpiry) + 1)).toEqual({ state: 'expired', tokenId: token.id })

    // Sign-out and revocation end sessions; the reason stays readable, the csrf token does not.
    const other = await r.sessions.open({ tokenId: token.id, ttlMs: hour, tokenExpiresAt: null })
    await r.sessions.end(slid.session.idHash)
    expect(await r.sessions.lookup(id)).toEqual({ state: 'signed_out' })
    expect(await r.sessions.activeCount(token.id)).toBe(1)
    expect(await r.sessions.endForToken(token.id)).toBe(1)
    expect(await r.sessions.lookup(other.id)).toEqual({ state: 'token_revoked' })
    // Rows long past their expiry are purged at the next sign-in.
    await r.sessions.open({ tokenId: token.id, ttlMs: hour, tokenExpiresAt: null, now: Date.now() + 30 * 24 * hour })
    expect(await r.sessions.lookup(id)).toEqual({ state: 'unknown' })
    r.close()
  })

  test('tokens: a scope like a service\'s; an admin token is always scoped to all stations', async () => {
    const r = await openTestRegistry()
    const create = async (role: string, scope: unknown) => r.tokens.create({ name: 'x', role, createdBy: 'test', scope: scope as never })
    expect((await create('viewer', { kind: 'stations', stations: ['sz-1'] })).token.scope).toEqual({ kind: 'stations', stations: ['sz-1'] })
    expect((await create('operator', undefined)).token.scope).toEqual({ kind: 'all' })
    expect((await create('admin', { kind: 'all' })).token.role).toBe('admin')
    await expect(create('admin', { kind: 'district', district: 'North' })).rejects.toThrow(/always scoped to all stations/)
    await expect(create('viewer', { kind: 'stations', stations: [] })).rejects.toThrow(/scope/)
    await expect(create('viewer', { kind: 'district', district: '' })).rejects.toThrow(/scope/)
    await expect(create('viewer', { kind: 'everything' })).rejects.toThrow(/scope/)
    r.close()
  })
})
