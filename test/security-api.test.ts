// Who may call what, for every route the app has, including routes added after this file
// was written: they are enumerated from the app itself (an onRoute hook), so a new route is
// tried with no token, bad tokens and each role as soon as it exists, and fuzzed in each of
// its path and query parameters. A real registry and the real InfluxDB.
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

// The documented role of every route this file knows. Any other route (added later) must
// need a token: making a route public is a decision to record here.
const DOCUMENTED: Record<string, AuthLevel> = {
  'GET /health': 'public',
  // The map tile settings (no secret: every browser showing the map requests the tiles).
  'GET /web-config': 'public',
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
  north: await mintToken(registry, 'viewer', { name: 'north union', scope: { kind: 'district', district: 'North' } }),
  betaOnly: await mintToken(registry, 'operator', { name: 'beta staff', scope: { kind: 'stations', stations: ['sec-beta'] } })
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
    await expect(mintToken(registry, 'admin', { scope: { kind: 'stations', stations: ['sec-alpha'] } })).rejects.toThrow(/all stations/)
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
    await registry.addStation({ id: 'sec-gamma-moved', name: 'Moved', district: 'South' })
    expect((await call('GET', '/stations/sec-gamma-moved', north)).statusCode).toBe(404)
    await registry.stations.update('sec-gamma-moved', { district: 'North' })
    expect((await call('GET', '/stations/sec-gamma-moved', north)).statusCode).toBe(200)
    expect(((await call('GET', '/stations', north)).json().stations as Array<{ id: string }>).map((s) => s.id)).toEqual(['sec-alpha', 'sec-gamma-moved'])
    await registry.stations.update('sec-gamma-moved', { status: 'retired', district: 'South' })
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
