// The admin API's behaviour (who may call it: security-api.test.ts): stations, CSV import,
// devices and tokens through registry/admin.ts, with the registry's refusals as 400/404/409
// and every body checked by its schema.
import { afterAll, describe, expect, it } from 'vitest'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger } from '../platform/logger.ts'
import { apiTokens } from './support/api-tokens.ts'
import { openTestRegistry } from './support/test-registry.ts'

const registry = await openTestRegistry()
const as = await apiTokens(registry)
const ok = async () => ({ ok: true })
const app = buildApp({ registry, influx: createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'x' }), logger: createLogger('silent'), probes: { influx: ok, broker: ok } })
afterAll(async () => {
  await app.close()
  registry.close()
})

const send = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => app.inject({ method, url, headers: as.admin, ...(payload ? { payload } : {}) })
const csv = (body: string) => app.inject({ method: 'POST', url: '/stations/import', headers: { ...as.admin, 'content-type': 'text/csv; charset=utf-8' }, payload: body })

describe('stations', () => {
  it('creates with defaults, refuses duplicates and bad fields, updates and changes status', async () => {
    const created = await send('POST', '/stations', { id: 'adm-1', name: ' 福田驿站 ', amenities: ['wifi', 'ac', 'wifi'], openingHours: [{ days: [1, 2, 3, 4, 5], open: '06:00', close: '22:00' }] })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ id: 'adm-1', name: '福田驿站', timezone: 'Asia/Shanghai', capacity: 10, amenities: ['ac', 'wifi'], status: 'active' })
    expect((await send('POST', '/stations', { id: 'adm-1', name: 'again' })).json()).toEqual({ error: 'Conflict', message: 'station adm-1 already exists', statusCode: 409 })

    for (const [body, fragment] of [
      [{ id: 'adm-2' }, 'body.name'],
      [{ id: 'ADM 2', name: 'x' }, 'body.id: station id'],
      [{ id: 'adm-2', name: 'x', timezone: 'Mars/Olympus' }, 'unknown IANA timezone'],
      [{ id: 'adm-2', name: 'x', capacity: 0 }, 'body.capacity'],
      [{ id: 'adm-2', name: 'x', amenities: ['jacuzzi'] }, 'body.amenities'],
      [{ id: 'adm-2', name: 'x', status: 'retired' }, 'status']
    ] as const) {
      const res = await send('POST', '/stations', body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().message, JSON.stringify(body)).toContain(fragment)
    }
    // Prototype poisoning is refused by the JSON parser itself.
    const poisoned = await app.inject({ method: 'POST', url: '/stations', headers: { ...as.admin, 'content-type': 'application/json' }, payload: '{"id":"adm-2","name":"x","__proto__":{"admin":true}}' })
    expect(poisoned.statusCode).toBe(400)
    expect(await registry.getStation('adm-2')).toBeNull()

    const updated = await send('PATCH', '/stations/adm-1', { capacity: 14, district: '福田区' })
    expect(updated.json()).toMatchObject({ capacity: 14, district: '福田区', status: 'active', updatedAt: expect.any(String) })
    expect((await send('PATCH', '/stations/adm-1', {})).json().message).toMatch(/nothing to change/)
    expect((await send('PATCH', '/stations/adm-404', { capacity: 3 })).statusCode).toBe(404)
    expect((await send('PATCH', '/stations/adm-1', { id: 'adm-9' })).statusCode).toBe(400)

    // Suspending tells the broker (its change feed) to drop the station's devices.
    expect((await send('PATCH', '/stations/adm-1', { status: 'suspended' })).json().status).toBe('suspended')
    expect(await registry.changesSince(0)).toContainEqual(expect.objectContaining({ station_id: 'adm-1', device_id: null, change: 'suspended' }))
    expect((await send('PATCH', '/stations/adm-1', { status: 'active' })).json().status).toBe('active')
  })
})

describe('CSV import', () => {
  it('imports all rows, or none with every bad row listed', async () => {
    const good = await csv('id,name,district,capacity,opening_hours,amenities\nadm-csv-1,一,福田区,8,24h,ac;wifi\n"adm-csv-2","二, with a comma",南山区,,1-5 06:00-22:00; 6-7 08:00-20:00,\n')
    expect(good.statusCode).toBe(201)
    expect(good.json()).toEqual({ imported: 2, stations: ['adm-csv-1', 'adm-csv-2'] })
    expect(await registry.getStation('adm-csv-2')).toMatchObject({ name: '二, with a comma', capacity: 10, openingHours: [{ days: [1, 2, 3, 4, 5] }, { days: [6, 7] }] })

    const bad = await csv('id,name,capacity\nadm-csv-3,三,5\nadm-csv-4,四,-1\nadm-csv-1,dup,1\nadm-csv-3,again,2\n')
    expect(bad.statusCode).toBe(422)
    expect(bad.json()).toMatchObject({ error: 'Unprocessable Entity', statusCode: 422, message: 'nothing imported; 3 bad row(s)' })
    expect(bad.json().errors).toEqual([
      expect.stringMatching(/^line 3 \(adm-csv-4\): capacity/),
      'line 4: station adm-csv-1 already exists',
      'line 5: station adm-csv-3 appears twice in the file'
    ])
    expect(await registry.getStation('adm-csv-3')).toBeNull()

    expect((await csv('id,name,colour\nx,y,red\n')).json()).toMatchObject({ statusCode: 400, message: expect.stringMatching(/unknown CSV columns: colour/) })
    expect((await csv('')).statusCode).toBe(400)
    const asJson = await app.inject({ method: 'POST', url: '/stations/import', headers: as.admin, payload: { id: 'x' } })
    expect(asJson.statusCode).toBe(415)
  })
})

describe('devices', () => {
  it('issues with a kind, lists without secrets, and maps registry refusals', async () => {
    const created = await send('POST', '/stations/adm-1/devices', { id: 'adm-1-door', kind: 'door' })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ device: { id: 'adm-1-door', stationId: 'adm-1', kind: 'door', revokedAt: null }, secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) })
    const list = await send('GET', '/stations/adm-1/devices')
    expect(list.json()).toEqual({ devices: [expect.objectContaining({ id: 'adm-1-door' })] })
    expect(list.body).not.toContain(created.json().secret)
    expect(list.body).not.toMatch(/secret|hash/i)

    expect((await send('POST', '/stations/adm-1/devices', { id: 'adm-1-door', kind: 'door' })).statusCode).toBe(409)
    expect((await send('POST', '/stations/adm-404/devices', { id: 'adm-404-door', kind: 'door' })).statusCode).toBe(404)
    expect((await send('POST', '/stations/adm-1/devices', { id: 'adm-1-x' })).json().message).toMatch(/body\.kind/)
    expect((await send('POST', '/stations/adm-1/devices', { id: 'adm-1-x', kind: 'toaster' })).statusCode).toBe(400)
    expect((await send('GET', '/stations/adm-404/devices')).statusCode).toBe(404)
    expect((await send('POST', '/devices/adm-404-door/rotate')).statusCode).toBe(404)
    expect((await send('POST', '/devices/adm-1-door/revoke')).statusCode).toBe(200)
    expect((await send('POST', '/devices/adm-1-door/revoke')).json()).toMatchObject({ statusCode: 409, message: 'device adm-1-door is already revoked' })
  })
})

describe('tokens', () => {
  it('creates (secret once), lists without secrets, validates, revokes', async () => {
    const created = await send('POST', '/tokens', { name: 'district office', role: 'operator', expiresAt: '2099-12-31T16:00:00+08:00' })
    expect(created.statusCode).toBe(201)
    const { token, secret } = created.json()
    expect(token).toMatchObject({ name: 'district office', role: 'operator', expiresAt: '2099-12-31T08:00:00.000Z', createdBy: `token:${as.secrets.admin.slice(4, 16)}:test-admin` })
    expect(secret).toMatch(new RegExp(`^wst_${token.id}_`))
    expect((await app.inject({ url: '/stations', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(200)

    const list = await send('GET', '/tokens')
    expect(list.json().tokens.map((t: { name: string }) => t.name)).toContain('district office')
    expect(list.body).not.toContain(secret.split('_').at(-1))
    expect(list.body).not.toMatch(/hash/i)

    for (const body of [{ name: 'x', role: 'root' }, { name: '', role: 'viewer' }, { role: 'viewer' }, { name: 'x', role: 'viewer', expiresAt: 'tomorrow' },
      { name: 'x', role: 'viewer', expiresAt: '2001-01-01T00:00:00Z' }, { name: 'x', role: 'viewer', scopes: ['*'] }]) {
      expect((await send('POST', '/tokens', body)).statusCode, JSON.stringify(body)).toBe(400)
    }

    expect((await send('POST', `/tokens/${token.id}/revoke`)).json().revokedAt).toEqual(expect.any(String))
    expect((await send('POST', `/tokens/${token.id}/revoke`)).statusCode).toBe(409)
    expect((await send('POST', '/tokens/aaaaaaaaaaaa/revoke')).statusCode).toBe(404)
    expect((await send('POST', '/tokens/NOT-AN-ID/revoke')).statusCode).toBe(400)
    expect((await app.inject({ url: '/stations', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(401)
  })
})

describe('services', () => {
  it('issues with a scope, lists without secrets, changes scope, rotates, revokes, audited; refusals mapped', async () => {
    const created = await send('POST', '/services', { id: 'adm-board', name: '福田 wall screen', scope: { kind: 'district', district: '福田区' } })
    expect(created.statusCode).toBe(201)
    const { service, secret } = created.json()
    expect(service).toMatchObject({ id: 'adm-board', scope: { kind: 'district', district: '福田区' }, permission: 'subscribe', status: 'active', revokedAt: null })
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await registry.authenticatePrincipal('adm-board', secret)).toMatchObject({ principal: 'service', stations: new Set(['adm-1', 'adm-csv-1']) })
    const list = await send('GET', '/services')
    expect(list.json()).toEqual({ services: [expect.objectContaining({ id: 'adm-board' })] })
    expect(list.body).not.toContain(secret)
    expect(list.body).not.toMatch(/secret|hash/i)

    // The broker looks usernames up among devices and services: one id, one of them.
    expect((await send('POST', '/services', { id: 'adm-1-door', name: 'x', scope: { kind: 'all' } })).json())
      .toMatchObject({ statusCode: 409, message: expect.stringMatching(/already used by a device/) })
    expect((await send('POST', '/stations/adm-1/devices', { id: 'adm-board', kind: 'door' })).json())
      .toMatchObject({ statusCode: 409, message: expect.stringMatching(/already used by a service/) })
    expect((await send('POST', '/services', { id: 'adm-board', name: 'x', scope: { kind: 'all' } })).statusCode).toBe(409)
    for (const [body, fragment] of [
      [{ id: 'adm-x', name: 'x' }, 'body.scope'],
      [{ id: 'adm-x', name: 'x', scope: { kind: 'stations', stations: ['adm-1', 'adm-404'] } }, 'unknown station(s) adm-404'],
      [{ id: 'adm-x', name: 'x', scope: { kind: 'district', district: '火星区' } }, 'no station is in district'],
      [{ id: 'adm-x', name: 'x', scope: { kind: 'stations', stations: [] } }, 'body.scope'],
      [{ id: 'adm-x', name: 'x', scope: { kind: 'all' }, permission: 'publish' }, 'body.permission'],
      [{ id: 'Adm X', name: 'x', scope: { kind: 'all' } }, 'service id'],
      [{ id: 'adm-x', name: 'x', scope: { kind: 'all', stations: ['adm-1'] } }, 'body.scope']
    ] as const) {
      const res = await send('POST', '/services', body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().message, JSON.stringify(body)).toContain(fragment)
    }

    // A rename leaves the connections alone; a scope or permission change drops them.
    const feed = async () => (await registry.changesSince(0)).filter((c) => c.service_id === 'adm-board').map((c) => c.change)
    expect((await send('PATCH', '/services/adm-board', { name: 'renamed' })).json()).toMatchObject({ name: 'renamed', updatedAt: expect.any(String) })
    expect(await feed()).toEqual([])
    const patched = await send('PATCH', '/services/adm-board', { scope: { kind: 'stations', stations: ['adm-csv-1', 'adm-1', 'adm-1'] }, permission: 'subscribe+commands' })
    expect(patched.json()).toMatchObject({ scope: { kind: 'stations', stations: ['adm-1', 'adm-csv-1'] }, permission: 'subscribe+commands' })
    expect(await feed()).toEqual(['scope'])
    // A station joining a district in some service's scope drops that service too.
    await send('PATCH', '/services/adm-board', { scope: { kind: 'district', district: '福田区' } })
    await send('PATCH', '/stations/adm-csv-2', { district: '福田区' })
    expect(await feed()).toEqual(['scope', 'scope', 'scope'])
    expect((await send('PATCH', '/services/adm-board', {})).json().message).toMatch(/nothing to change/)

    const rotated = await send('POST', '/services/adm-board/rotate')
    expect(rotated.json().secret).not.toBe(secret)
    expect(await registry.authenticatePrincipal('adm-board', secret)).toBeNull()
    expect((await send('POST', '/services/adm-board/revoke')).json()).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) })
    expect(await registry.authenticatePrincipal('adm-board', rotated.json().secret)).toBeNull()
    expect(await feed()).toEqual(['scope', 'scope', 'scope', 'rotated', 'revoked'])
    expect((await send('POST', '/services/adm-board/revoke')).json()).toMatchObject({ statusCode: 409, message: 'service adm-board is already revoked' })
    expect((await send('POST', '/services/adm-board/rotate')).statusCode).toBe(409)
    expect((await send('PATCH', '/services/adm-board', { name: 'x' })).statusCode).toBe(409)
    expect((await send('POST', '/services/adm-404/rotate')).statusCode).toBe(404)
    expect((await send('PATCH', '/services/adm-404', { name: 'x' })).statusCode).toBe(404)

    const audit = (await send('GET', '/audit?target=service:adm-board')).json().entries as Array<{ action: string, before: unknown, after: unknown }>
    expect(audit.map((e) => e.action)).toEqual(['service.revoke', 'service.rotate', 'service.update', 'service.update', 'service.update', 'service.create'])
    const text = JSON.stringify(audit)
    for (const s of [secret, rotated.json().secret]) expect(text).not.toContain(s)
    expect(text).not.toMatch(/secret|hash|scrypt\$/i)
  })
})
