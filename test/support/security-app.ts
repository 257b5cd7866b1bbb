// The app, registry and InfluxDB data shared by the API security tests (security-api*.test.ts):
// two stations in two districts, a token per role, an expired and a revoked token, every route
// collected as it is registered. Each test file that imports this gets its own instance.
import { randomBytes } from 'node:crypto'
import type { RouteOptions } from 'fastify'
import { Registry as MetricsRegistry } from 'prom-client'
import { afterAll, inject } from 'vitest'
import { buildApp } from '../../api/build-app.ts'
import { createInfluxClient } from '../../api/main.ts'
import { ensureDatabase } from '../../platform/influx.ts'
import { createLogger } from '../../platform/logger.ts'
import { createAdmin } from '../../registry/admin.ts'
import { apiTokens, mintToken } from './api-tokens.ts'
import { openTestRegistry } from './test-registry.ts'

export const db = `security_api_${randomBytes(4).toString('hex')}`
export const influx = createInfluxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: db })
await ensureDatabase(influx, db)
// Figures of one station that must never leak through another's URL.
await influx.writePoints([
  { measurement: 'door', tags: { station: 'sec-alpha', device: 'sec-alpha-door', direction: 'in', result: 'granted', method: 'face' }, fields: { seq: 1 }, timestamp: new Date('2026-05-01T04:00:00Z') },
  // Beta has more visits than alpha, so a total or a ranking that counted it would show.
  ...[1, 2, 3].map((seq) => ({ measurement: 'door', tags: { station: 'sec-beta', device: 'sec-beta-door', direction: 'in', result: 'granted', method: 'face' }, fields: { seq }, timestamp: new Date(`2026-05-01T0${4 + seq}:00:00Z`) }))
])

export const registry = await openTestRegistry()
// Two districts of one station each: a token scoped to one must see nothing of the other.
await registry.addStation({ id: 'sec-alpha', name: 'Alpha 驿站', district: 'North', timezone: 'Asia/Shanghai' })
await registry.addStation({ id: 'sec-beta', name: 'Beta 驿站', district: 'South', timezone: 'Asia/Shanghai' })
await registry.addDevice('sec-alpha', 'sec-alpha-door', 'door')
export const as = await apiTokens(registry)

// A token that expires in a moment, and a revoked one.
export const expired = await mintToken(registry, 'admin', { name: 'expired', expiresAt: new Date(Date.now() + 1000).toISOString() })
export const revoked = await mintToken(registry, 'admin', { name: 'revoked' })
await createAdmin(registry).revokeToken('test', revoked.slice(4, 16))

export const ok = async () => ({ ok: true })
// The rate limit has its own test (security-api-changes.test.ts); here every request must reach the auth check.
export const app = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: ok, broker: ok }, metrics: new MetricsRegistry(), security: { rateLimitMax: 1_000_000 } })
export const routes: RouteOptions[] = []
app.addHook('onRoute', (route) => { routes.push(route) })
await app.ready()
export const doc = (await app.inject('/docs/json')).json() as { paths: Record<string, Record<string, { parameters?: Array<{ in: string, name: string, schema?: { example?: unknown } }> }>> }

afterAll(async () => {
  await app.close()
  await influx.dropDatabase(db).catch(() => {})
  registry.close()
})

export const call = (method: string, url: string, headers: Record<string, string> = {}) => app.inject({ method: method as 'GET', url, headers })
export const viewerId = as.secrets.viewer.slice(4, 16)
