// Who may call what, for every route the app has, including routes added after this file
// was written: they are enumerated from the app itself (an onRoute hook), so a new route is
// tried with no token, bad tokens and each role as soon as it exists, and fuzzed in each of
// its path and query parameters. A real registry and the real InfluxDB.
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

const db = `security_api_${randomBytes(4).toString('hex')}`
const influx = createInfluxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: db })
await ensureDatabase(influx, db)
// Figures of one station that must never leak through another's URL.
await influx.writePoints([
  { measurement: 'door', tags: { station: 'sec-alpha', device: 'sec-alpha-door', direction: 'in', result: 'granted', method: 'face' }, fields: { seq: 1 }, timestamp: new Date('2026-05-01T04:00:00Z') },
  // Beta has more visits than alpha, so a total or a ranking that counted it would show.
  ...[1, 2, 3].map((seq) => ({ measurement: 'door', tags: { station: 'sec-beta', device: 'sec-beta-door', direction: 'in', result: 'granted', method: 'face' }, fields: { seq }, timestamp: new Date(`2026-05-01T0${4 + seq}:00:00Z`) }))
])

const registry = openRegistry(':memory:')
// Two districts of one station each: a token scoped to one must see nothing of the other.
registry.addStation({ id: 'sec-alpha', name: 'Alpha 驿站', district: 'North', timezone: 'Asia/Shanghai' })
registry.addStation({ id: 'sec-beta', name: 'Beta 驿站', district: 'South', timezone: 'Asia/Shanghai' })
await registry.addDevice('sec-alpha', 'sec-alpha-door', 'door')
const as = apiTokens(registry)

// A token that expires in a moment, and a revoked one.
const expired = mintToken(registry, 'admin', { name: 'expired', expiresAt: new Date(Date.now() + 1000).toISOString() })
const revoked = mintToken(registry, 'admin', { name: 'revoked' })
createAdmin(registry).revokeToken('test', revoked.slice(4, 16))

const ok = async () => ({ ok: true })
// The rate limit has its own test below; here every request must reach the auth check.
const app = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: ok, broker: ok }, metrics: new MetricsRegistry(), security: { rateLimitMax: 1_000_000 } })
const routes: RouteOptions[] = []
app.addHook('onRoute', (route) => { routes.push(route) })
await app.ready()
const doc = (await app.inject('/docs/json')).json() as { paths: Record<string, Record<string, { parameters?: Array<{ in: string, name: string, schema?: { example?: unknown } }> }>> }

afterAll(async () => {
  await app.close()
  await influx.dropDatabase(db).catch(() => {})
  registry.close()
})

// The documented role of every route this file knows. Any other route (added later) must
// need a token: making a route public is a decision to record here.
const DOCUMENTED: Record<string, AuthLevel> = {
  'GET /health': 'public',
  'GET /stations': 'viewer',
  'GET /stations/:id': 'viewer',
  'GET /stations/:id/visits': 'viewer',
  'GET /stations/:id/presence': 'viewer',
  'GET /metrics': 'viewer',
  'POST /stations': 'admin',
  'PATCH /stations/:id': 'admin',
  'POST /stations/import': 'admin',
  'GET /stations/:id/devices': 'admin',
  'POST /stations/:id/devices': 'admin',
  'POST /devices/:id/rotate': 'admin',
  'POST /devices/:id/revoke': 'admin',
  'GET /services': 'admin',
  'POST /services': 'admin',
  'PATCH /services/:id': 'admin',
  'POST /services/:id/rotate': 'admin',
  'POST /services/:id/revoke': 'admin',
  'GET /tokens': 'admin',
  'POST /tokens': 'admin',
  'POST /tokens/:id/revoke': 'admin',
  'GET /audit': 'admin',
  'POST /session': 'public',
  'GET /session': 'public',
  'DELETE /session': 'public',
  // The dashboard's page and its assets: static files, no data (the app signs in by itself).
  'GET /': 'public',
  'GET /assets/*': 'public'
}
// Public routes whose answer without a session is a 401 (with a reason): that is what they report.
const SESSION_STATUS = new Set(['GET /session', 'HEAD /session'])

type Endpoint = { method: string, url: string, level: AuthLevel }
const endpoints: Endpoint[] = routes.flatMap((r) => [r.method].flat().map((method) => ({ method, url: r.url, level: r.config?.auth as AuthLevel })))

// Placeholders that pass every id pattern (a 12-character slug is a valid station, device
// and token id) and match nothing, so allowed calls answer 400/404 and change nothing.
const PLACEHOLDER = 'zzzzzzzzzzzz'
const concrete = (url: string) => url.replace(/:\w+/g, PLACEHOLDER).replace('*', 'swagger-ui.css')
const call = (method: string, url: string, headers: Record<string, string> = {}) => app.inject({ method: method as 'GET', url, headers })

const viewerId = as.secrets.viewer.slice(4, 16)
const REFUSED: Array<[string, Record<string, string>]> = [
  ['no token', {}],
  ['another scheme', { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }],
  ['a bearer that is no token', bearer('not-a-token')],
  ['an oversized bearer', bearer('a'.repeat(10_000))],
  ['an unknown token', bearer(`wst_${PLACEHOLDER}_${'A'.repeat(43)}`)],
  ['a known id with the wrong secret', bearer(`wst_${viewerId}_${'B'.repeat(43)}`)],
  ['an expired token', bearer(expired)],
  ['a revoked token', bearer(revoked)]
]

describe('authentication and roles on every route', () => {
  it('knows the routes, and each has a valid level that matches its documentation', () => {
    expect(endpoints.length).toBeGreaterThan(20)
    for (const e of endpoints) {
      const where = `${e.method} ${e.url}`
      expect(AUTH_LEVELS, where).toContain(e.level)
      const documented = DOCUMENTED[`${e.method === 'HEAD' ? 'GET' : e.method} ${e.url}`]
      if (e.url === '/docs' || e.url.startsWith('/docs/')) expect(e.level, where).toBe('public')
      else if (documented) expect(e.level, where).toBe(documented)
      else expect(e.level, `${where} is public: add it to DOCUMENTED if that is intended`).not.toBe('public')
    }
    for (const key of Object.keys(DOCUMENTED)) expect(endpoints.map((e) => `${e.method} ${e.url}`), key).toContain(key)
  })

  it('the expired token has expired', async () => {
    await expect.poll(() => registry.tokens.verify(expired), { timeout: 5000, interval: 100 }).toBeNull()
  })

  it.each(endpoints.map((e) => [`${e.method} ${e.url} (${e.level})`, e] as const))('%s', async (_name, e) => {
    const url = concrete(e.url)
    for (const [what, headers] of REFUSED) {
      const res = await call(e.method, url, headers)
      if (e.level === 'public') {
        if (!SESSION_STATUS.has(`${e.method} ${e.url}`)) expect([401, 403], `${what}: ${res.statusCode}`).not.toContain(res.statusCode)
        continue
      }
      expect(res.statusCode, what).toBe(401)
      expect(res.headers['www-authenticate'], what).toMatch(/^Bearer realm="waystation"/)
      if (e.method !== 'HEAD') expect(res.json(), what).toEqual({ error: 'Unauthorized', message: expect.any(String), statusCode: 401 })
    }
    for (const role of ROLES) {
      const res = await call(e.method, url, as[role])
      if (SESSION_STATUS.has(`${e.method} ${e.url}`)) {
        expect(res.statusCode, role).toBe(401)
      } else if (allows(role, e.level)) {
        expect([401, 403, 500], `${role}: ${res.statusCode} ${res.body.slice(0, 200)}`).not.toContain(res.statusCode)
      } else {
        expect(res.statusCode, role).toBe(403)
        expect(res.headers['www-authenticate'], role).toMatch(/error="insufficient_scope"/)
        if (e.method !== 'HEAD') expect(res.json().message, role).toMatch(new RegExp(`requires the ${e.level} role`))
      }
    }
  })

  it('the scheme name is case-insensitive; unknown URLs are 404 with or without a token', async () => {
    expect((await call('GET', '/stations', { authorization: `bEaReR ${as.secrets.viewer}` })).statusCode).toBe(200)
    expect((await call('GET', '/nowhere')).statusCode).toBe(404)
    expect((await call('GET', '/nowhere', as.admin)).statusCode).toBe(404)
  })
})

// Scoped tokens on every route: a token scoped to district North (alpha) and one scoped to the
// list [sec-beta] never see the other station: not its id, not its name, not in a count. Each
// route is called as the scoped token by bearer and by a session cookie, with the station in
// scope and the one out of scope in its path, and checked against what an all-stations token
// gets for the same question asked of the in-scope station alone.
const STATIONS = {
  alpha: { id: 'sec-alpha', name: 'Alpha 驿站', district: 'North' },
  beta: { id: 'sec-beta', name: 'Beta 驿站', district: 'South' }
} as const
const scopedTokens = {
  north: mintToken(registry, 'viewer', { name: 'north union', scope: { kind: 'district', district: 'North' } }),
  betaOnly: mintToken(registry, 'operator', { name: 'beta staff', scope: { kind: 'stations', stations: ['sec-beta'] } })
}
const SCOPED = [
  { who: 'district North (viewer)', secret: scopedTokens.north, role: 'viewer' as const, sees: STATIONS.alpha, hidden: STATIONS.beta },
  { who: 'stations [sec-beta] (operator)', secret: scopedTokens.betaOnly, role: 'operator' as const, sees: STATIONS.beta, hidden: STATIONS.alpha }
]
// Each scoped token also signs in, so every check runs over the session cookie too.
const cookieOf = async (secret: string) => {
  const res = await app.inject({ method: 'POST', url: '/session', payload: { token: secret } })
  expect(res.statusCode).toBe(200)
  return { cookie: String(res.headers['set-cookie']).split(';')[0]!, csrf: res.json().csrfToken as string }
}

// A URL for the route with `station` in :id, a valid month, and valid values for the other
// query parameters (but no station list or district filter: tried separately below).
function scopedUrl (e: Endpoint, station: string): string {
  const url = e.url.replace(':id', station).replace(':month', '2026-05').replace(/:\w+/g, PLACEHOLDER).replace('*', 'swagger-ui.css')
  const params = doc.paths[toOpenApi(e.url)]?.[e.method.toLowerCase()]?.parameters ?? []
  const qs = params.filter((q) => q.in === 'query' && q.name !== 'stations' && q.name !== 'district' && q.name !== 'target').map((q) => {
    const valid = VALID_QUERY[q.name] ?? q.schema?.example
    return valid === undefined ? '' : `${q.name}=${encodeURIComponent(String(valid))}`
  }).filter(Boolean).join('&')
  return qs ? `${url}?${qs}` : url
}

// What may not appear anywhere in an answer to a token that does not see `hidden`.
function expectNothingOf (hidden: { id: string, name: string, district: string }, body: string, what: string) {
  expect(body, what).not.toContain(hidden.id)
  expect(body, what).not.toContain(hidden.name)
  expect(body, what).not.toContain(hidden.district)
}

describe('station scopes on every route', () => {
  it('a scoped admin token cannot be made, by the API or otherwise', async () => {
    const res = await app.inject({ method: 'POST', url: '/tokens', headers: as.admin, payload: { name: 'x', role: 'admin', scope: { kind: 'district', district: 'North' } } })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/admin token is always scoped to all stations/)
    expect(() => mintToken(registry, 'admin', { scope: { kind: 'stations', stations: ['sec-alpha'] } })).toThrow(/all stations/)
  })

  it.each(SCOPED.map((t) => [t.who, t] as const))('%s: every route, by bearer and by session cookie', async (_who, t) => {
    const session = await cookieOf(t.secret)
    const ways: Array<[string, Record<string, string>]> = [['bearer', bearer(t.secret)], ['cookie', { cookie: session.cookie, 'x-csrf-token': session.csrf }]]
    for (const e of endpoints.filter((x) => x.method !== 'HEAD' && x.url !== '/session')) {
      for (const [way, headers] of ways) {
        const where = `${e.method} ${e.url} (${way})`
        const own = await call(e.method, scopedUrl(e, t.sees.id), headers)
        const other = await call(e.method, scopedUrl(e, t.hidden.id), headers)
        if (!allows(t.role, e.level)) {
          expect([own.statusCode, other.statusCode], where).toEqual([403, 403])
          continue
        }
        if (e.level === 'admin' || e.url === '/metrics') {
          // The whole fleet's business: a scoped token is turned away whatever its role.
          expect([own.statusCode, other.statusCode], where).toEqual([403, 403])
          expect(other.json().message, where).toMatch(/needs a token scoped to all stations/)
          continue
        }
        expect([401, 403, 500], `${where}: ${own.statusCode} ${own.body.slice(0, 200)}`).not.toContain(own.statusCode)
        expectNothingOf(t.hidden, own.body, `${where}, own station`)
        if (e.url.startsWith('/stations/:id')) {
          // Out of scope answers exactly like a station that does not exist.
          const none = await call(e.method, scopedUrl(e, PLACEHOLDER), headers)
          expect(other.statusCode, where).toBe(404)
          expect(other.body.replaceAll(t.hidden.id, PLACEHOLDER), where).toBe(none.body)
        }
        expectNothingOf(t.hidden, other.body.replaceAll(`station ${t.hidden.id} not found`, ''), `${where}, other station`)
      }
    }
  })

  it.each(SCOPED.map((t) => [t.who, t] as const))('%s: lists, counts and totals cover the scope only', async (_who, t) => {
    const as1 = bearer(t.secret)
    const stations = (await call('GET', '/stations', as1)).json().stations as Array<{ id: string }>
    expect(stations.map((s) => s.id)).toEqual([t.sees.id])

    // The fleet summary and report equal an all-stations token's for the in-scope station alone.
    for (const url of ['/fleet/summary?from=2026-05-01&to=2026-05-02', '/fleet/reports/2026-05?format=json']) {
      const scoped = await call('GET', url, as1)
      const reference = await call('GET', `${url}&stations=${t.sees.id}`, as.admin)
      expect(scoped.statusCode, url).toBe(200)
      expect(scoped.json(), url).toEqual(reference.json())
      expectNothingOf(t.hidden, scoped.body, url)
    }
    const summary = (await call('GET', '/fleet/summary?from=2026-05-01&to=2026-05-02', as1)).json()
    const visits = t.sees.id === 'sec-alpha' ? 1 : 3
    expect(summary.totals).toMatchObject({ stations: 1, visits })
    expect(summary.districts).toEqual([expect.objectContaining({ district: t.sees.district, stations: 1, visits })])
    // The whole fleet, for contrast: both stations, four visits.
    expect((await call('GET', '/fleet/summary?from=2026-05-01&to=2026-05-02', as.admin)).json().totals).toMatchObject({ stations: 2, visits: 4 })

    // Asking for the other station by list or district is answered as for one that does not exist.
    for (const url of ['/fleet/summary?from=2026-05-01&to=2026-05-02', '/fleet/reports/2026-05?format=csv']) {
      const listed = await call('GET', `${url}&stations=${t.hidden.id}`, as1)
      const unknown = await call('GET', `${url}&stations=${PLACEHOLDER}`, as1)
      expect(listed.statusCode, url).toBe(404)
      expect(listed.body.replaceAll(t.hidden.id, PLACEHOLDER), url).toBe(unknown.body)
      const district = await call('GET', `${url}&district=${encodeURIComponent(t.hidden.district)}`, as1)
      const noDistrict = await call('GET', `${url}&district=Nowhere`, as1)
      expect(district.statusCode, url).toBe(404)
      expect(district.body, url).toBe(noDistrict.body)
    }
  })

  it('the scope is resolved per request: a station moved into the district is seen at once', async () => {
    const north = bearer(scopedTokens.north)
    expect((await call('GET', '/stations/sec-gamma-moved', north)).statusCode).toBe(404)
    registry.addStation({ id: 'sec-gamma-moved', name: 'Moved', district: 'South' })
    expect((await call('GET', '/stations/sec-gamma-moved', north)).statusCode).toBe(404)
    registry.stations.update('sec-gamma-moved', { district: 'North' })
    expect((await call('GET', '/stations/sec-gamma-moved', north)).statusCode).toBe(200)
    expect(((await call('GET', '/stations', north)).json().stations as Array<{ id: string }>).map((s) => s.id)).toEqual(['sec-alpha', 'sec-gamma-moved'])
    registry.stations.update('sec-gamma-moved', { status: 'retired', district: 'South' })
  })
})

// Hostile strings for every path and query parameter: quotes, SQL and InfluxQL fragments,
// regexes, unicode, 10 kB, prototype names, NUL, traversal.
const HOSTILE = [
  '\'', '"', '\'; DROP MEASUREMENT door; --', '" OR 1=1 --', '\' OR station =~ /.*/ --', '/.*/', 'sec-alpha\' OR \'1\'=\'1',
  'sec-alpha|sec-beta', '站点', '😀', 'x'.repeat(10_000), '__proto__', 'constructor', 'prototype', '%00', '\u0000',
  '../', '../../etc/passwd', '..%2F..%2F', '${jndi:ldap://x}', '{"$gt":""}', 'a\r\nb', ' ', '-1', '1e309', 'NaN', '[]'
]

// A valid value for query parameters that are not under attack, so that each hostile value
// is what the route has to deal with.
const VALID_QUERY: Record<string, string> = { from: '2026-05-01', to: '2026-05-02', limit: '10', before: '1000', target: 'station:sec-alpha' }

const toOpenApi = (url: string) => url.replace(/:(\w+)/g, '{$1}')

type Probe = { method: string, url: string, param: string, where: 'path' | 'query' }
const probes: Probe[] = endpoints.filter((e) => e.method !== 'HEAD').flatMap((e) => {
  const path = [...e.url.matchAll(/:(\w+)|\*/g)].map((m) => ({ method: e.method, url: e.url, param: m[1] ?? '*', where: 'path' as const }))
  const params = doc.paths[toOpenApi(e.url)]?.[e.method.toLowerCase()]?.parameters ?? []
  const query = params.filter((p) => p.in === 'query').map((p) => ({ method: e.method, url: e.url, param: p.name, where: 'query' as const }))
  return [...path, ...query]
})

function hostileUrl (p: Probe, value: string): string {
  const v = encodeURIComponent(value)
  if (p.where === 'path') return p.param === '*' ? p.url.replace('*', v) : concrete(p.url.replace(`:${p.param}`, v))
  const params = doc.paths[toOpenApi(p.url)]![p.method.toLowerCase()]!.parameters!.filter((q) => q.in === 'query')
  const qs = params.map((q) => {
    const valid = VALID_QUERY[q.name] ?? q.schema?.example
    return q.name === p.param ? `${q.name}=${v}` : valid === undefined ? '' : `${q.name}=${encodeURIComponent(String(valid))}`
  }).filter(Boolean).join('&')
  return `${concrete(p.url)}?${qs}`
}

describe('hostile parameters', () => {
  it('every route with parameters is probed', () => {
    expect(probes.map((p) => `${p.method} ${p.url} ${p.param}`)).toEqual(expect.arrayContaining([
      'GET /stations/:id id', 'GET /stations/:id/visits from', 'GET /stations/:id/visits to', 'GET /audit target', 'GET /audit limit', 'POST /tokens/:id/revoke id'
    ]))
  })

  it.each(probes.map((p) => [`${p.method} ${p.url} ${p.where}:${p.param}`, p] as const))('%s', async (_name, p) => {
    for (const value of HOSTILE) {
      // As a district-scoped viewer too: whatever the value, nothing of the other district.
      const scoped = await call(p.method, hostileUrl(p, value), bearer(scopedTokens.north))
      expect([400, 403, 404], `scoped: ${scoped.statusCode}`).toContain(scoped.statusCode)
      expect(scoped.body).not.toMatch(/Beta 驿站|South/)
      const res = await call(p.method, hostileUrl(p, value), as.admin)
      const what = `${JSON.stringify(value.slice(0, 40))} → ${res.statusCode} ${res.body.slice(0, 200)}`
      // The docs' file server (@fastify/send) answers a name too long for the file system
      // with 403 before reading anything; everything else is a 400 or a 404.
      expect(p.param === '*' ? [400, 403, 404] : [400, 404], what).toContain(res.statusCode)
      // The uniform error body and nothing else: no figures, no station, of any station.
      expect(Object.keys(res.json()).sort(), what).toEqual(['error', 'message', 'statusCode'])
      expect(res.body, what).not.toMatch(/Alpha 驿站|Beta 驿站/)
    }
  })
})

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
    expect(registry.changesSince(0)).toContainEqual(expect.objectContaining({ device_id: 'sec-beta-hub', change: 'rotated' }))

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
    expect(registry.changesSince(0).filter((c) => c.service_id === 'sec-feed').map((c) => c.change)).toEqual(['rotated', 'revoked'])
  })

  it('a token may revoke itself: the answer is its last', async () => {
    const own = mintToken(registry, 'admin', { name: 'leaked laptop' })
    secretsSeen.push(own)
    const res = await post(`/tokens/${own.slice(4, 16)}/revoke`, undefined, bearer(own))
    expect(res.statusCode).toBe(200)
    expect(res.json().revokedAt).toEqual(expect.any(String))
    expect((await call('GET', '/stations', bearer(own))).statusCode).toBe(401)
    const [entry] = registry.audit.list({ limit: 1, target: `token:${own.slice(4, 16)}` })
    expect(entry).toMatchObject({ action: 'token.revoke', actor: `token:${own.slice(4, 16)}:leaked laptop` })
  })
})

describe('audit log', () => {
  it('records every admin change made through the API, with the token as actor, before and after, and no secret', async () => {
    const start = registry.audit.list({ limit: 1 })[0]!.id
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
    for (const text of [res.body, JSON.stringify(registry.audit.list({ limit: 10_000 }))]) {
      for (const secret of secretsSeen) expect(text).not.toContain(secret)
      expect(text).not.toMatch(/secret|hash|scrypt\$|wst_/i)
    }
    // Filter and pages.
    const gamma = (await app.inject({ url: '/audit?target=device:sec-gamma-door&limit=2', headers: as.admin })).json()
    expect(gamma.entries.map((e: { action: string }) => e.action)).toEqual(['device.revoke', 'device.rotate'])
    const older = (await app.inject({ url: `/audit?target=device:sec-gamma-door&limit=2&before=${gamma.nextBefore}`, headers: as.admin })).json()
    expect(older).toEqual({ entries: [expect.objectContaining({ action: 'device.create' })], nextBefore: null })
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
