// The dashboard's browser session: sign-in with a token, the cookie and its attributes, CSRF on
// writes, sign-out, a revoked token, an expired session, the sign-in limit, and no session id
// in a log. Through app.inject() on a real registry; the routes used read the registry only.
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger, REDACT_PATHS } from '../platform/logger.ts'
import { createAdmin } from '../registry/admin.ts'
import type { SecurityOptions } from '../api/auth/security-options.ts'
import { apiTokens, bearer, mintToken } from './support/api-tokens.ts'
import { openTestRegistry } from './support/test-registry.ts'

const influx = createInfluxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: `security_session_${randomBytes(4).toString('hex')}` })
const registry = await openTestRegistry()
await registry.addStation({ id: 'ses-north', name: 'North 驿站', district: 'North' })
await registry.addStation({ id: 'ses-south', name: 'South 驿站', district: 'South' })
const as = await apiTokens(registry)
const ok = async () => ({ ok: true })
const apps: Array<ReturnType<typeof buildApp>> = []
function makeApp (security: Partial<SecurityOptions> = {}, logger = createLogger('silent')) {
  const app = buildApp({ registry, influx, logger, probes: { influx: ok, broker: ok }, security: { rateLimitMax: 10_000, ...security } })
  apps.push(app)
  return app
}
const app = makeApp()
afterAll(async () => {
  for (const a of apps) await a.close()
  registry.close()
})

type Signed = { cookie: string, setCookie: string, body: { name: string, role: string, scope: unknown, expiresAt: string, csrfToken: string } }
async function signIn (secret: string, target = app): Promise<Signed> {
  const res = await target.inject({ method: 'POST', url: '/session', payload: { token: secret } })
  expect(res.statusCode, res.body).toBe(200)
  const setCookie = String(res.headers['set-cookie'])
  return { cookie: setCookie.split(';')[0]!, setCookie, body: res.json() }
}
const get = (url: string, headers: Record<string, string>, target = app) => target.inject({ url, headers })

describe('sign-in', () => {
  it('exchanges a token for an HttpOnly, SameSite=Strict cookie and answers who it is', async () => {
    const res = await app.inject({ method: 'POST', url: '/session', payload: { token: as.secrets.viewer } })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['csrfToken', 'expiresAt', 'name', 'role', 'scope'])
    expect(body).toMatchObject({ name: 'test-viewer', role: 'viewer', scope: { kind: 'all' }, csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) })
    // Default lifetime: 12 hours, and the cookie lives as long.
    const ttl = Date.parse(body.expiresAt) - Date.now()
    expect(ttl).toBeGreaterThan(11.9 * 3_600_000)
    expect(ttl).toBeLessThanOrEqual(12 * 3_600_000)
    const cookie = String(res.headers['set-cookie'])
    expect(cookie).toMatch(/^wst_session=[A-Za-z0-9_-]{43}; Max-Age=(?:4319\d|43200); Path=\/; HttpOnly; SameSite=Strict$/)
    expect(res.headers['cache-control']).toBe('no-store')
    // The token is in neither the cookie nor the answer.
    expect(cookie + res.body).not.toContain(as.secrets.viewer.slice(17))
  })

  it('sets Secure when the request came over HTTPS (through a trusted proxy)', async () => {
    const proxied = makeApp({ trustProxy: true })
    const res = await proxied.inject({ method: 'POST', url: '/session', headers: { 'x-forwarded-proto': 'https' }, payload: { token: as.secrets.viewer } })
    expect(String(res.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/)
  })

  it('refuses a bad, revoked or expired token with 401, and a bad body with 400, setting no cookie', async () => {
    const revoked = await mintToken(registry, 'viewer', { name: 'gone' })
    await createAdmin(registry).revokeToken('test', revoked.slice(4, 16))
    for (const token of ['wst_nope', `wst_${as.secrets.viewer.slice(4, 16)}_${'A'.repeat(43)}`, revoked]) {
      const res = await app.inject({ method: 'POST', url: '/session', payload: { token } })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toEqual({ error: 'Unauthorized', message: 'invalid, expired or revoked token', statusCode: 401 })
      expect(res.headers['set-cookie']).toBeUndefined()
    }
    for (const payload of [{}, { token: '' }, { token: 'x'.repeat(5000) }, { token: as.secrets.viewer, extra: 1 }]) {
      expect((await app.inject({ method: 'POST', url: '/session', payload })).statusCode, JSON.stringify(payload).slice(0, 40)).toBe(400)
    }
    // A cross-site form cannot post JSON: a form-encoded sign-in is refused.
    const form = await app.inject({ method: 'POST', url: '/session', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${as.secrets.viewer}` })
    expect(form.statusCode).toBe(415)
  })

  it('limits sign-in attempts per address', async () => {
    const limited = makeApp({ signInRateLimitMax: 3 })
    const attempt = (remoteAddress: string) => limited.inject({ method: 'POST', url: '/session', remoteAddress, payload: { token: 'wst_guess' } })
    for (let i = 0; i < 3; i++) expect((await attempt('10.1.0.1')).statusCode).toBe(401)
    const over = await attempt('10.1.0.1')
    expect(over.statusCode).toBe(429)
    expect(over.json()).toMatchObject({ statusCode: 429, message: expect.stringMatching(/too many sign-in attempts/) })
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0)
    expect((await attempt('10.1.0.2')).statusCode).toBe(401)
  })
})

describe('a request with the session cookie', () => {
  it('acts as the token: role and scope', async () => {
    const north = await signIn(await mintToken(registry, 'viewer', { name: 'north', scope: { kind: 'district', district: 'North' } }))
    expect(north.body.scope).toEqual({ kind: 'district', district: 'North' })
    const list = await get('/stations', { cookie: north.cookie })
    expect(list.statusCode).toBe(200)
    expect(list.json().stations.map((s: { id: string }) => s.id)).toEqual(['ses-north'])
    expect((await get('/stations/ses-south', { cookie: north.cookie })).statusCode).toBe(404)
    // A viewer's session is no admin.
    expect((await get('/tokens', { cookie: north.cookie })).statusCode).toBe(403)
    // GET /session answers the same as sign-in did, csrf token included.
    const again = await get('/session', { cookie: north.cookie })
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(north.body)
  })

  it('writes need the csrf token in x-csrf-token; bearer requests do not', async () => {
    const admin = await signIn(as.secrets.admin)
    const create = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/tokens', headers, payload: { name: 'from the dashboard', role: 'viewer' } })
    for (const headers of [{ cookie: admin.cookie }, { cookie: admin.cookie, 'x-csrf-token': 'wrong' }, { cookie: admin.cookie, 'x-csrf-token': '' }] as Array<Record<string, string>>) {
      const res = await create(headers)
      expect(res.statusCode).toBe(403)
      expect(res.json().message).toMatch(/x-csrf-token/)
    }
    expect((await create({ cookie: admin.cookie, 'x-csrf-token': admin.body.csrfToken })).statusCode).toBe(201)
    expect((await create(as.admin)).statusCode).toBe(201)
    // Another session's csrf token is no good.
    const other = await signIn(as.secrets.admin)
    expect((await create({ cookie: admin.cookie, 'x-csrf-token': other.body.csrfToken })).statusCode).toBe(403)
  })

  it('an Authorization header wins over the cookie', async () => {
    const viewer = await signIn(as.secrets.viewer)
    expect((await get('/tokens', { cookie: viewer.cookie, ...as.admin })).statusCode).toBe(200)
    const res = await get('/tokens', { cookie: (await signIn(as.secrets.admin)).cookie, ...bearer('wst_bad') })
    expect(res.statusCode).toBe(401)
  })
})

describe('the end of a session', () => {
  it('a revoked token: every request answers 401 token_revoked, in words too', async () => {
    const secret = await mintToken(registry, 'viewer', { name: 'to revoke' })
    const s = await signIn(secret)
    expect((await get('/stations', { cookie: s.cookie })).statusCode).toBe(200)
    await createAdmin(registry).revokeToken('test', secret.slice(4, 16))
    for (const url of ['/stations', '/session']) {
      const res = await get(url, { cookie: s.cookie })
      expect(res.statusCode, url).toBe(401)
      expect(res.json(), url).toEqual({ error: 'Unauthorized', statusCode: 401, reason: 'token_revoked', message: expect.stringMatching(/^token revoked/) })
    }
  })

  it('a token revoked behind the registry\'s back (no session cleanup) is still caught per request', async () => {
    const secret = await mintToken(registry, 'viewer', { name: 'revoked elsewhere' })
    const s = await signIn(secret)
    await registry.tokens.revoke(secret.slice(4, 16))
    expect((await get('/stations', { cookie: s.cookie })).json()).toMatchObject({ statusCode: 401, reason: 'token_revoked' })
  })

  it('sign-out: needs the csrf token, ends the session server-side and clears the cookie', async () => {
    const s = await signIn(as.secrets.viewer)
    expect((await app.inject({ method: 'DELETE', url: '/session', headers: { cookie: s.cookie } })).statusCode).toBe(403)
    const out = await app.inject({ method: 'DELETE', url: '/session', headers: { cookie: s.cookie, 'x-csrf-token': s.body.csrfToken } })
    expect(out.statusCode).toBe(204)
    expect(String(out.headers['set-cookie'])).toMatch(/^wst_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict$/)
    // The old cookie, replayed, is refused with the reason.
    for (const url of ['/session', '/stations']) {
      expect((await get(url, { cookie: s.cookie })).json(), url).toMatchObject({ statusCode: 401, reason: 'signed_out', message: 'signed out: sign in again' })
    }
    // Signing out again, or without a session, only clears the cookie.
    expect((await app.inject({ method: 'DELETE', url: '/session', headers: { cookie: s.cookie } })).statusCode).toBe(204)
    expect((await app.inject({ method: 'DELETE', url: '/session' })).statusCode).toBe(204)
  })

  it('no session, or a cookie that is no session: 401 no_session', async () => {
    for (const headers of [{}, { cookie: 'wst_session=' }, { cookie: `wst_session=${'A'.repeat(43)}` }, { cookie: 'other=1' }] as Array<Record<string, string>>) {
      const res = await get('/session', headers)
      expect(res.statusCode).toBe(401)
      expect(res.json()).toEqual({ error: 'Unauthorized', statusCode: 401, reason: 'no_session', message: 'no session: sign in with an API token' })
    }
  })

  it('an expired session: 401 session_expired; the lifetime never outlasts the token', async () => {
    const short = makeApp({ sessionTtlMs: 1500 })
    const s = await signIn(as.secrets.viewer, short)
    expect((await get('/stations', { cookie: s.cookie }, short)).statusCode).toBe(200)
    await expect.poll(async () => (await get('/stations', { cookie: s.cookie }, short)).json().reason, { timeout: 10_000, interval: 200 }).toBe('session_expired')
    expect((await get('/session', { cookie: s.cookie }, short)).json()).toMatchObject({ statusCode: 401, reason: 'session_expired', message: 'session expired: sign in again' })

    const expiresAt = new Date(Date.now() + 60_000).toISOString()
    const brief = await signIn(await mintToken(registry, 'viewer', { name: 'brief', expiresAt }))
    expect(brief.body.expiresAt).toBe(expiresAt)
    expect(brief.setCookie).toMatch(/Max-Age=(59|60);/)

    // A token that expires under a session: signing in again would not help, and the message says so.
    const soon = await mintToken(registry, 'viewer', { name: 'soon', expiresAt: new Date(Date.now() + 1500).toISOString() })
    const doomed = await signIn(soon)
    await expect.poll(async () => (await get('/session', { cookie: doomed.cookie })).json(), { timeout: 10_000, interval: 200 })
      .toEqual({ error: 'Unauthorized', statusCode: 401, reason: 'session_expired', message: expect.stringMatching(/API token .* has expired/) })
    expect((await get('/stations', { cookie: doomed.cookie })).json().message).toMatch(/API token .* has expired/)
  })
})

describe('rate limit budget', () => {
  it('a dashboard\'s busy minute stays well inside the default limit', async () => {
    // Defaults only (no test override): what a deployment gets out of the box.
    const plain = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: ok, broker: ok } })
    apps.push(plain)
    const s = await signIn(as.secrets.viewer, plain)
    // Six analytics page loads of ten routes at once, and a wall screen's five polls.
    for (let page = 0; page < 6; page++) {
      const loads = await Promise.all(Array.from({ length: 10 }, () => get('/stations', { cookie: s.cookie }, plain)))
      for (const res of loads) expect(res.statusCode).toBe(200)
    }
    for (let poll = 0; poll < 5; poll++) expect((await get('/session', { cookie: s.cookie }, plain)).statusCode).toBe(200)
    const after = await get('/stations', { cookie: s.cookie }, plain)
    // 66 requests made: at least three quarters of the default 300 left.
    expect(Number(after.headers['x-ratelimit-limit'])).toBeGreaterThanOrEqual(300)
    expect(Number(after.headers['x-ratelimit-remaining'])).toBeGreaterThan(225)
  })
})

describe('logs', () => {
  it('never hold the session id or the csrf token, whatever the outcome', async () => {
    const lines: string[] = []
    // No redaction: the point is that nothing logs the cookie in the first place.
    const logged = makeApp({}, pino({ level: 'trace' }, { write: (line: string) => { lines.push(line) } }))
    const s = await signIn(as.secrets.admin, logged)
    await get('/stations', { cookie: s.cookie }, logged)
    await logged.inject({ method: 'POST', url: '/tokens', headers: { cookie: s.cookie }, payload: { name: 'x', role: 'viewer' } })
    await logged.inject({ method: 'DELETE', url: '/session', headers: { cookie: s.cookie, 'x-csrf-token': s.body.csrfToken } })
    await get('/session', { cookie: s.cookie }, logged)
    const text = lines.join('')
    expect(text).toContain('session opened')
    expect(text).not.toContain(s.cookie.slice('wst_session='.length))
    expect(text).not.toContain(s.body.csrfToken)
    expect(text).not.toContain(as.secrets.admin.slice(17))
  })

  it('the root logger redacts cookies should anything log the headers', () => {
    const lines: string[] = []
    const logger = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, { write: (line: string) => { lines.push(line) } })
    logger.info({ req: { headers: { cookie: 'wst_session=SECRET1' } }, res: { headers: { 'set-cookie': 'wst_session=SECRET2' } } }, 'x')
    expect(lines.join('')).not.toMatch(/SECRET/)
  })
})
