// Protective HTTP settings: security headers, CORS only for configured origins, body limits
// (a larger one for CSV imports), and /metrics open only when configured so.
import { Registry as MetricsRegistry } from 'prom-client'
import { afterAll, describe, expect, it } from 'vitest'
import type { SecurityOptions } from '../api/auth/security-options.ts'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { loadConfig } from '../platform/config.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { apiTokens } from './support/api-tokens.ts'

const registry = openRegistry(':memory:')
await registry.addStation({ id: 'hard-1', name: 'One' })
const as = await apiTokens(registry)
const ok = async () => ({ ok: true })
const apps: Array<ReturnType<typeof buildApp>> = []

function app (security: Partial<SecurityOptions> = {}, metrics?: MetricsRegistry) {
  const a = buildApp({ registry, influx: createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'x' }), logger: createLogger('silent'), probes: { influx: ok, broker: ok }, security, ...(metrics ? { metrics } : {}) })
  apps.push(a)
  return a
}

afterAll(async () => {
  for (const a of apps) await a.close()
  registry.close()
})

describe('security headers', () => {
  it('every answer carries helmet\'s headers and a CSP that allows nothing', async () => {
    for (const res of [await app().inject({ url: '/stations', headers: as.viewer }), await app().inject({ url: '/stations' })]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN')
      expect(res.headers['content-security-policy']).toMatch(/default-src 'none'.*frame-ancestors 'none'/)
      expect(res.headers['x-powered-by']).toBeUndefined()
    }
  })
})

describe('CORS', () => {
  const preflight = (origin: string) => ({ method: 'OPTIONS' as const, url: '/stations', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } })

  it('sends no CORS headers by default', async () => {
    const res = await app().inject({ url: '/stations', headers: { ...as.viewer, origin: 'https://evil.example' } })
    expect(res.statusCode).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('allows the configured origins only, preflight included (before authentication)', async () => {
    const a = app({ corsOrigins: ['https://dash.example.org'] })
    const pre = await a.inject(preflight('https://dash.example.org'))
    expect(pre.statusCode).toBe(204)
    expect(pre.headers['access-control-allow-origin']).toBe('https://dash.example.org')
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/authorization/)
    const res = await a.inject({ url: '/stations', headers: { ...as.viewer, origin: 'https://dash.example.org' } })
    expect(res.headers['access-control-allow-origin']).toBe('https://dash.example.org')
    const other = await a.inject({ url: '/stations', headers: { ...as.viewer, origin: 'https://evil.example' } })
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
    expect((await a.inject(preflight('https://evil.example'))).headers['access-control-allow-origin']).toBeUndefined()
  })

  it('reads the origins from API_CORS_ORIGINS and refuses a malformed one', () => {
    expect(loadConfig({ API_CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).API_CORS_ORIGINS).toEqual(['https://a.example', 'http://b.example:8080'])
    expect(loadConfig({}).API_CORS_ORIGINS).toEqual([])
    expect(() => loadConfig({ API_CORS_ORIGINS: 'https://a.example/path' })).toThrow(/API_CORS_ORIGINS/)
  })
})

describe('body limits', () => {
  it('413 with the uniform body past the limit; CSV imports have their own, larger one', async () => {
    const a = app({ bodyLimit: 1024, importBodyLimit: 64 * 1024 })
    const big = await a.inject({ method: 'POST', url: '/stations', headers: as.admin, payload: { id: 'hard-2', name: 'x'.repeat(2000) } })
    expect(big.statusCode).toBe(413)
    expect(big.json()).toEqual({ error: 'Payload Too Large', message: expect.any(String), statusCode: 413 })
    const rows = Array.from({ length: 100 }, (_, i) => `hard-csv-${i},Station number ${i} with a longish name`).join('\n')
    const csv = { 'content-type': 'text/csv', ...as.admin }
    const imported = await a.inject({ method: 'POST', url: '/stations/import', headers: csv, payload: `id,name\n${rows}\n` })
    expect(imported.statusCode).toBe(201)
    expect(imported.json().imported).toBe(100)
    const huge = await a.inject({ method: 'POST', url: '/stations/import', headers: csv, payload: `id,name\n${'x,y\n'.repeat(20_000)}` })
    expect(huge.statusCode).toBe(413)
  })

  it('an anonymous body is refused before it is read', async () => {
    const res = await app({ bodyLimit: 1024 }).inject({ method: 'POST', url: '/stations', payload: { name: 'x'.repeat(5000) } })
    expect(res.statusCode).toBe(401)
  })
})

describe('/metrics', () => {
  it('needs a token unless METRICS_PUBLIC', async () => {
    const metrics = new MetricsRegistry()
    const closed = app({}, metrics)
    expect((await closed.inject({ url: '/metrics' })).statusCode).toBe(401)
    expect((await closed.inject({ url: '/metrics', headers: as.viewer })).statusCode).toBe(200)
    const open = app({ metricsPublic: true }, metrics)
    expect((await open.inject({ url: '/metrics' })).statusCode).toBe(200)
    // Public means public, not "any token": the stations stay closed.
    expect((await open.inject({ url: '/stations' })).statusCode).toBe(401)
  })

  it('METRICS_PUBLIC and the other settings come from the environment', () => {
    const c = loadConfig({ METRICS_PUBLIC: 'true', API_RATE_LIMIT_MAX: '50', API_TRUST_PROXY: '10.0.0.0/8,127.0.0.1' })
    expect(c).toMatchObject({ METRICS_PUBLIC: true, API_RATE_LIMIT_MAX: 50, API_TRUST_PROXY: '10.0.0.0/8,127.0.0.1', API_BODY_LIMIT: 1024 * 1024 })
    expect(loadConfig({}).METRICS_PUBLIC).toBe(false)
    expect(() => loadConfig({ METRICS_PUBLIC: 'yes' })).toThrow(/METRICS_PUBLIC/)
  })
})
