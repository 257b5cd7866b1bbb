// Security of the API, continued (security-api.test.ts has the route matrix, scopes and fuzzing):
// credentials changed through the API, the audit log, the rate limit and what is logged.
import { randomBytes } from 'node:crypto'
import type { RouteOptions } from 'fastify'
import { Registry as MetricsRegistry } from 'prom-client'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { allows, AUTH_LEVELS, type AuthLevel } from '../api/auth/roles.ts'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { ensureDatabase } from '../platform/influx.ts'
import { createLogger } from '../platform/logger.ts'
import { createAdmin } from '../registry/admin.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { ROLES } from '../registry/schemas.ts'
import { apiTokens, bearer, mintToken } from './support/api-tokens.ts'
import { app, as, call, doc, expired, influx, ok, registry, revoked, routes, viewerId } from './support/security-app.ts'


const post = (url: string, payload?: object, headers: Record<string, string> = as.admin) => app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) })
// Every secret this file is handed, to look for where none may be.
const secretsSeen: string[] = [...Object.values(as.secrets), expired, revoked]

describe('credentials changed through the API', () => {
  it('rotating a device refuses the old secret and accepts the new one; revoking refuses both', async () => {
    const created = await post('/stations/sec-beta/devices', { id: 'sec-beta-hub', kind: 'hub' })
    expect(created.statusCode).toBe(201)
    const first = created.json().secret as string
    expect(await registry.authenticateDevice('sec-beta-hub', first)).toMatchObject({ stationId: 'sec-beta', kind: 'hub' })

    const rotated = await post('/devices/sec-beta-hub/rotate')
    expect(rotated.statusCode).toBe(200)
    const second = rotated.json().secret as string
    secretsSeen.push(first, second)
    expect(second).not.toBe(first)
    expect(await registry.authenticateDevice('sec-beta-hub', first)).toBeNull()
    expect(await registry.authenticateDevice('sec-beta-hub', second)).toMatchObject({ deviceId: 'sec-beta-hub' })
    // The broker learns of it from the change feed and drops the live connection.
    expect(await registry.changesSince(0)).toContainEqual(expect.objectContaining({ device_id: 'sec-beta-hub', change: 'rotated' }))

    expect((await post('/devices/sec-beta-hub/revoke')).json().revokedAt).toEqual(expect.any(String))
    expect(await registry.authenticateDevice('sec-beta-hub', second)).toBeNull()
    expect((await post('/devices/sec-beta-hub/rotate')).statusCode).toBe(409)
  })

  it('a service\'s secret: rotating refuses the old one, revoking refuses both; never in a listing', async () => {
    const created = await post('/services', { id: 'sec-feed', name: 'feed', scope: { kind: 'stations', stations: ['sec-alpha'] } })
    expect(created.statusCode).toBe(201)
    const first = created.json().secret as string
    const rotated = await post('/services/sec-feed/rotate')
    const second = rotated.json().secret as string
    secretsSeen.push(first, second)
    expect(await registry.authenticatePrincipal('sec-feed', first)).toBeNull()
    expect(await registry.authenticatePrincipal('sec-feed', second)).toMatchObject({ principal: 'service', serviceId: 'sec-feed' })
    const list = await call('GET', '/services', as.admin)
    for (const secret of [first, second]) expect(list.body).not.toContain(secret)
    expect((await post('/services/sec-feed/revoke')).statusCode).toBe(200)
    expect(await registry.authenticatePrincipal('sec-feed', second)).toBeNull()
    expect((await registry.changesSince(0)).filter((c) => c.service_id === 'sec-feed').map((c) => c.change)).toEqual(['rotated', 'revoked'])
  })

  it('a token may revoke itself: the answer is its last', async () => {
    const own = await mintToken(registry, 'admin', { name: 'leaked laptop' })
    secretsSeen.push(own)
    const res = await post(`/tokens/${own.slice(4, 16)}/revoke`, undefined, bearer(own))
    expect(res.statusCode).toBe(200)
    expect(res.json().revokedAt).toEqual(expect.any(String))
    expect((await call('GET', '/stations', bearer(own))).statusCode).toBe(401)
    const [entry] = await registry.audit.list({ limit: 1, target: `token:${own.slice(4, 16)}` })
    expect(entry).toMatchObject({ action: 'token.revoke', actor: `token:${own.slice(4, 16)}:leaked laptop` })
  })
})

describe('audit log', () => {
  it('records every admin change made through the API, with the token as actor, before and after, and no secret', async () => {
    const start = (await registry.audit.list({ limit: 1 }))[0]!.id
    const patch = (url: string, payload: object) => app.inject({ method: 'PATCH', url, headers: as.admin, payload })
    expect((await post('/stations', { id: 'sec-gamma', name: 'Gamma' })).statusCode).toBe(201)
    expect((await patch('/stations/sec-gamma', { capacity: 7 })).statusCode).toBe(200)
    expect((await patch('/stations/sec-gamma', { status: 'suspended' })).statusCode).toBe(200)
    const imported = await app.inject({ method: 'POST', url: '/stations/import', headers: { ...as.admin, 'content-type': 'text/csv' }, payload: 'id,name\nsec-delta,Delta\n' })
    expect(imported.statusCode).toBe(201)
    const device = await post('/stations/sec-gamma/devices', { id: 'sec-gamma-door', kind: 'door' })
    const rotated = await post('/devices/sec-gamma-door/rotate')
    expect((await post('/devices/sec-gamma-door/revoke')).statusCode).toBe(200)
    const token = await post('/tokens', { name: 'dashboard', role: 'viewer', expiresAt: '2099-01-01T00:00:00Z' })
    expect(token.statusCode).toBe(201)
    expect((await post(`/tokens/${token.json().token.id}/revoke`)).statusCode).toBe(200)
    secretsSeen.push(device.json().secret, rotated.json().secret, token.json().secret)

    const res = await app.inject({ url: `/audit?limit=500`, headers: as.admin })
    expect(res.statusCode).toBe(200)
    const entries = (res.json().entries as Array<{ id: number, actor: string, action: string, target: string, before: unknown, after: unknown }>).filter((e) => e.id > start).reverse()
    const actor = `token:${as.secrets.admin.slice(4, 16)}:test-admin`
    expect(entries.map((e) => [e.action, e.target])).toEqual([
      ['station.create', 'station:sec-gamma'],
      ['station.update', 'station:sec-gamma'],
      ['station.suspend', 'station:sec-gamma'],
      ['station.import', 'stations:1'],
      ['device.create', 'device:sec-gamma-door'],
      ['device.rotate', 'device:sec-gamma-door'],
      ['device.revoke', 'device:sec-gamma-door'],
      ['token.create', `token:${token.json().token.id}`],
      ['token.revoke', `token:${token.json().token.id}`]
    ])
    for (const e of entries) {
      expect(e.actor, e.action).toBe(actor)
      expect(e.after, e.action).not.toBeNull()
      if (!e.action.endsWith('create') && e.action !== 'station.import') expect(e.before, e.action).not.toBeNull()
    }
    expect(entries[1]).toMatchObject({ before: { capacity: 10 }, after: { capacity: 7 } })
    expect(entries[2]).toMatchObject({ before: { status: 'active' }, after: { status: 'suspended' } })

    // No secret, hash or bearer token anywhere in the log, as served or as stored.
    for (const text of [res.body, JSON.stringify(await registry.audit.list({ limit: 10_000 }))]) {
      for (const secret of secretsSeen) expect(text).not.toContain(secret)
      expect(text).not.toMatch(/secret|hash|scrypt\$|wst_/i)
    }
    // Filter and pages.
    const gamma = (await app.inject({ url: '/audit?target=device:sec-gamma-door&limit=2', headers: as.admin })).json()
    expect(gamma.entries.map((e: { action: string }) => e.action)).toEqual(['device.revoke', 'device.rotate'])
    const older = (await app.inject({ url: `/audit?target=device:sec-gamma-door&limit=2&before=${gamma.nextBefore}`, headers: as.admin })).json()
    expect(older).toEqual({ entries: [expect.objectContaining({ action: 'device.create' })], nextBefore: null })
  })

  it('filters by any target the log writes: a Chinese district, a kind with an underscore; a control character is refused', async () => {
    // The supplies admin writes `district:<name>` (a district-wide catalog change) and the
    // alert settings `alert_rule:<rule>`: the filter must find both, sent as the dashboard
    // sends them (URL-encoded UTF-8).
    const targets = ['district:福田区', 'district:Berlin Mitte', 'alert_rule:temperature_high']
    for (const target of targets) await registry.audit.append({ actor: 'cli:test', action: 'test.filter', target, after: { target } })
    for (const target of targets) {
      const res = await app.inject({ url: `/audit?target=${encodeURIComponent(target)}`, headers: as.admin })
      expect(res.statusCode, `${target}: ${res.body}`).toBe(200)
      expect(res.json().entries.map((e: { target: string }) => e.target)).toEqual([target])
    }
    for (const bad of ['district', 'district:', 'district:a\u0000b', ':x', `district:${'x'.repeat(201)}`]) {
      const res = await app.inject({ url: `/audit?target=${encodeURIComponent(bad)}`, headers: as.admin })
      expect(res.statusCode, bad).toBe(400)
    }
  })
})

describe('rate limit and logs', () => {
  it('429 with the uniform body after the burst, per token, and per address for everyone else', async () => {
    const limited = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: ok, broker: ok }, security: { rateLimitMax: 3, rateLimitWindowMs: 60_000 } })
    const get = (url: string, headers: Record<string, string>, remoteAddress = '10.0.0.1') => limited.inject({ url, headers, remoteAddress })
    for (let i = 0; i < 3; i++) expect((await get('/stations', as.viewer)).statusCode).toBe(200)
    const over = await get('/stations', as.viewer)
    expect(over.statusCode).toBe(429)
    expect(over.json()).toEqual({ error: 'Too Many Requests', message: expect.stringMatching(/^rate limit exceeded/), statusCode: 429 })
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0)
    // Another token has its own allowance, from the same address.
    expect((await get('/stations', as.operator)).statusCode).toBe(200)
    // Without a valid token the address is the key, and failures count: varying the bogus
    // token does not buy more attempts.
    for (let i = 0; i < 3; i++) expect((await get('/stations', bearer(`guess-${i}`), '10.0.0.2')).statusCode).toBe(401)
    expect((await get('/stations', bearer('guess-3'), '10.0.0.2')).statusCode).toBe(429)
    // Public routes are never limited: a load balancer's health check behind the same address
    // must not be refused (and read as an outage), nor the documentation.
    for (let i = 0; i < 5; i++) expect((await get('/health', {}, '10.0.0.2')).statusCode).toBe(200)
    expect((await get('/docs/json', {}, '10.0.0.2')).statusCode).toBe(200)
    // Unknown URLs still count (scanners): the address stays limited.
    expect((await get('/no-such-route', {}, '10.0.0.2')).statusCode).toBe(429)
    expect((await get('/stations', bearer('guess-4'), '10.0.0.2')).statusCode).toBe(429)
    await limited.close()
  })

  it('never logs a token, whatever the outcome', async () => {
    const lines: string[] = []
    // No redaction configured: the point is that nothing logs the header in the first place.
    const { pino } = await import('pino')
    const logger = pino({ level: 'trace' }, { write: (line: string) => { lines.push(line) } })
    const logged = buildApp({ registry, influx, logger, probes: { influx: ok, broker: ok }, security: { rateLimitMax: 5 } })
    const created = await logged.inject({ method: 'POST', url: '/tokens', headers: as.admin, payload: { name: 'logged', role: 'viewer' } })
    const fresh = created.json().secret as string
    for (const headers of [bearer(fresh), as.viewer, bearer(revoked), bearer(expired), bearer(`wst_${viewerId}_${'C'.repeat(43)}`)]) {
      await logged.inject({ url: '/tokens', headers })
      await logged.inject({ url: '/stations/sec-alpha/visits?from=2026-05-01&to=2026-05-01', headers })
    }
    await logged.close()
    const text = lines.join('')
    expect(text).toContain('incoming request')
    // The random part follows `wst_<12-char id>_`; it may itself contain '_' (base64url).
    for (const secret of [fresh, ...secretsSeen]) expect(text).not.toContain(secret.slice('wst_'.length + 12 + 1))
    expect(text.toLowerCase()).not.toContain('authorization')
  })
})
