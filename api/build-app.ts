// The HTTP API as a Fastify instance that is configured but not listening: tests drive it
// with app.inject(), main.ts (stand-alone or combined process) calls listen(). All I/O it
// needs comes in through `deps`, so nothing here reads the environment.
import Fastify, { type LogLevel } from 'fastify'
import compress from '@fastify/compress'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { InfluxDB } from 'influx'
import type { Logger } from '../platform/logger.ts'
import { createAdmin } from '../registry/admin.ts'
import type { Registry } from '../registry/open-registry.ts'
import { bearerAuth } from './auth/bearer-auth.ts'
import { docsCsp, httpHardening } from './auth/http-hardening.ts'
import { openApiSecurity } from './auth/openapi-security.ts'
import { publicScope } from './auth/public-scope.ts'
import { stationAccess } from './auth/station-access.ts'
import { DEFAULT_SECURITY, type SecurityOptions } from './auth/security-options.ts'
import { errorHandler, frameworkErrorHandler, notFoundHandler } from './errors.ts'
import { DEFAULT_PROBE_SHARE_MS, DEFAULT_PROBE_TIMEOUT_MS, guardProbe, shareProbe, type GuardedProbes, type Probes } from './probes.ts'
import { adminDevicesRoute } from './routes/admin-devices.ts'
import { adminServicesRoute } from './routes/admin-services.ts'
import { adminStationImportRoute } from './routes/admin-station-import.ts'
import { adminStationsRoute } from './routes/admin-stations.ts'
import { adminTokensRoute } from './routes/admin-tokens.ts'
import { auditRoute } from './routes/audit.ts'
import { alertsRoute } from './routes/alerts.ts'
import { alertSettingsRoute } from './routes/alert-settings.ts'
import { createAlertAdmin } from '../alerts/alert-admin.ts'
import { createWebhookAdmin } from '../alerts/notify/webhook-admin.ts'
import { webhooksRoute } from './routes/webhooks.ts'
import { healthRoute } from './routes/health.ts'
import { metricsRoute, type MetricsSource } from './routes/metrics.ts'
import { presenceRoute } from './routes/presence.ts'
import { sessionRoute } from './routes/session.ts'
import { stationRoute } from './routes/station.ts'
import { stationsRoute } from './routes/stations.ts'
import { visitsRoute } from './routes/visits.ts'
import { createFigureSource } from './figures/figure-source.ts'
import { createFleetCache } from './fleet-cache/fleet-cache.ts'
import { startFleetWarmer } from './fleet-cache/warm-fleet.ts'
import type { RollupStatus } from './figures/day-source.ts'
import { figureRoutes } from './routes/figures.ts'
import { DEFAULT_WEB_ROOT, webApp } from './web-app.ts'
import type { MapTiles } from './web-config.ts'
import { webConfigRoute } from './routes/web-config.ts'
import type { LiveService } from './live/live-service.ts'
import { liveRoutes } from './live/routes.ts'
import { createSupplyAdmin } from '../supplies/supply-admin.ts'
import { createSupplyModel, type SupplyModel } from '../supplies/supply-model.ts'
import { supplyChangesRoute } from '../supplies/routes/supply-changes.ts'
import { supplyLevelsRoute } from '../supplies/routes/supply-levels.ts'
import { restockPlanRoute } from '../supplies/routes/restock-plan.ts'
import { supplyReportsRoute } from '../supplies/routes/supply-reports.ts'
import type { Redis } from 'ioredis'

export type { Probe, ProbeOutcome, ProbeResult, Probes } from './probes.ts'

export type AppDeps = {
  registry: Registry
  /** node-influx client with its default database set (the one ingest writes to). */
  influx: InfluxDB
  logger: Logger
  probes: Probes
  /** Shown in the OpenAPI document. */
  version?: string
  /** Upper bound for each /health probe; a probe slower than this counts as failed. */
  probeTimeoutMs?: number
  /** How long a /health probe result is reused (default 1 s; 0 = a fresh probe per request). */
  probeShareMs?: number
  /** A station silent for longer is offline (GET /stations/:id/presence). */
  offlineAfterSeconds?: number
  /** What the API sees of the rollup job (dirty days, first-seen index); null: rollups read as they are. */
  rollups?: RollupStatus | null
  /** Prometheus registry served at /metrics (omitted: no /metrics route). */
  metrics?: MetricsSource
  /** Rate limit, CORS, body limits, /metrics access (defaults: api/auth/security-options.ts). */
  security?: Partial<SecurityOptions>
  /** The built dashboard served at / (default web/dist; null: not served). */
  webRoot?: string | null
  /** The dashboard map's tile layer (GET /web-config, and the CSP's img-src); null or omitted: no tiles. */
  mapTiles?: MapTiles | null
  /** The live view (api/live/): GET /live, /stations/{id}/live, /live/stream. Omitted: no live routes. */
  live?: LiveService
  /** Rate-limit counters in Redis, shared by every API node (CLUSTER=redis); omitted: per process. */
  rateLimitRedis?: Redis
  /**
   * Cached fleet answers of complete months (api/fleet-cache/): the bound in bytes, and whether
   * the last complete month is computed in the background. Default: 128 MB, no warming; null:
   * every answer computed per request. Needs `rollups` with monthGeneration.
   */
  fleetCache?: { maxBytes: number, warm?: boolean, now?: () => number } | null
  /** Supplies: the clock of forecasts (tests) and how old the in-memory model may be (default 60 s). */
  supplies?: { now?: () => number, maxAgeMs?: number }
}

// Station ids are at most 64 characters, but a longer one must reach validation and get a
// 400 that says why, rather than the router's bare 404 for "no route matched".
const MAX_PARAM_LENGTH = 16 * 1024
const DEFAULT_FLEET_CACHE_BYTES = 128 * 1024 * 1024

export function buildApp (deps: AppDeps) {
  const security: SecurityOptions = { ...DEFAULT_SECURITY, ...deps.security }
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    bodyLimit: security.bodyLimit,
    trustProxy: security.trustProxy,
    frameworkErrors: frameworkErrorHandler
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  // Set on the root before any route is registered, so every encapsulated plugin inherits them.
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)

  // Before any route: headers and CORS, then authentication (every route needs a token
  // unless it declares `config: { auth: 'public' }`), rate limit and role checks.
  app.register(httpHardening, { corsOrigins: security.corsOrigins })
  // gzip/brotli for answers over 1 kB of a compressible type (JSON, CSV, HTML, js/css): the
  // 10,000-station /live is ~4 MB of JSON. Not the hijacked /live/stream (events must not wait
  // to fill a block) nor XLSX (already a zip). Brotli at quality 4, the plugin's default, is
  // fast enough per request; the dashboard's assets are compressed at build time instead.
  app.register(compress, { global: true, encodings: ['br', 'gzip', 'deflate'] })
  app.register(bearerAuth, {
    tokens: deps.registry.tokens,
    sessions: deps.registry.sessions,
    sessionTtlMs: security.sessionTtlMs,
    rateLimit: { max: security.rateLimitMax, timeWindowMs: security.rateLimitWindowMs },
    rateLimitRedis: deps.rateLimitRedis
  })
  // A scoped token's view: a station outside its scope is a 404 on every /stations/:id route.
  app.register(stationAccess, { stations: { get: (id) => deps.registry.getStation(id) } })

  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Waystation API',
        description: 'Figures from smart rest stations for outdoor workers: stations, daily visits, service health.',
        version: deps.version ?? '0.0.0'
      },
      tags: [
        { name: 'stations', description: 'Registered stations and their figures' },
        { name: 'live', description: 'Live state of the stations: JSON and Server-Sent Events (see docs/dashboard.md)' },
        { name: 'figures', description: 'Usage, occupancy, peak hours, dwell, comfort, completeness, fleet rankings and monthly reports (from rollups; see docs/rollups.md)' },
        { name: 'session', description: 'Dashboard sign-in: an API token exchanged for a browser session cookie' },
        { name: 'supplies', description: 'Free supplies: catalog, levels, restocks, hand counts and forecasts (see docs/supplies.md)' },
        { name: 'admin', description: 'Stations, device and service credentials, API tokens and the audit log (admin role)' },
        { name: 'alerts', description: 'Alerts and their history (viewer), acknowledge, resolve and silences (operator), rule settings (admin): docs/alerts.md' },
        { name: 'operations', description: 'Service health' }
      ],
      ...openApiSecurity
    },
    transform: jsonSchemaTransform
  })
  app.register(publicScope(swaggerUi, { routePrefix: '/docs', ...docsCsp }))

  const timeoutMs = deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS
  const shareMs = deps.probeShareMs ?? DEFAULT_PROBE_SHARE_MS
  const probes: GuardedProbes = {
    influx: shareProbe(guardProbe(deps.probes.influx, timeoutMs), shareMs),
    broker: shareProbe(guardProbe(deps.probes.broker, timeoutMs), shareMs)
  }
  // Load balancers poll /health every few seconds: log it only when something is wrong. A
  // route log level replaces the root one, so never go below what the root logger allows.
  const healthLogLevel = (deps.logger.levelVal >= 40 ? deps.logger.level : 'warn') as LogLevel
  app.register(healthRoute, { probes, registry: deps.registry, logLevel: healthLogLevel })
  app.register(sessionRoute, {
    registry: deps.registry,
    ttlMs: security.sessionTtlMs,
    signInLimit: { max: security.signInRateLimitMax, timeWindowMs: security.rateLimitWindowMs }
  })
  app.register(stationsRoute, { registry: deps.registry })
  app.register(stationRoute, { registry: deps.registry })
  const figures = createFigureSource(deps.influx, deps.rollups ?? null)
  app.register(visitsRoute, { registry: deps.registry, figures })
  const fleetCache = deps.fleetCache === null || !deps.rollups?.monthGeneration
    ? null
    : createFleetCache({ registry: deps.registry, figures, maxBytes: deps.fleetCache?.maxBytes ?? DEFAULT_FLEET_CACHE_BYTES, ...(deps.fleetCache?.now ? { now: deps.fleetCache.now } : {}) })
  app.register(figureRoutes, { registry: deps.registry, figures, fleetCache })
  if (fleetCache && deps.fleetCache?.warm) {
    const cache = fleetCache
    let warmer: ReturnType<typeof startFleetWarmer> | undefined
    app.addHook('onReady', async () => { warmer = startFleetWarmer({ cache, logger: deps.logger.child({ component: 'fleet-cache' }), ...(deps.fleetCache?.now ? { now: deps.fleetCache.now } : {}) }) })
    app.addHook('onClose', async () => { await warmer?.stop() })
  }
  app.register(presenceRoute, { registry: deps.registry, offlineAfterSeconds: deps.offlineAfterSeconds ?? 300 })
  if (deps.live) app.register(liveRoutes, { live: deps.live, tokens: deps.registry.tokens, sessions: deps.registry.sessions })
  if (deps.metrics) {
    const metricsOptions = { metrics: deps.metrics }
    // Public only on request (METRICS_PUBLIC), for a scraper that cannot send a token.
    if (security.metricsPublic) app.register(publicScope(metricsRoute, metricsOptions))
    else app.register(metricsRoute, metricsOptions)
  }

  const supplyAdmin = createSupplyAdmin(deps.registry)
  const supplyModel: SupplyModel = createSupplyModel({ registry: deps.registry, admin: supplyAdmin, query: figures.query })
  app.register(supplyLevelsRoute, { registry: deps.registry, model: supplyModel, now: deps.supplies?.now ?? Date.now, maxAgeMs: deps.supplies?.maxAgeMs ?? 60_000 })
  app.register(restockPlanRoute, { registry: deps.registry, model: supplyModel, now: deps.supplies?.now ?? Date.now, maxAgeMs: deps.supplies?.maxAgeMs ?? 60_000 })
  app.register(supplyChangesRoute, { registry: deps.registry, admin: supplyAdmin })
  app.register(supplyReportsRoute, { registry: deps.registry, query: figures.query, now: deps.supplies?.now ?? Date.now })
  if (deps.live) {
    // Supplies in the live state: a logged restock, count or catalog change refreshes the station.
    const live = deps.live
    live.attachSupplies(supplyModel, { catalog: (id) => deps.registry.supplies.items(id), ...(deps.supplies?.now ? { now: deps.supplies.now } : {}) })
    app.addHook('onResponse', async (request, reply) => {
      const id = (request.params as { id?: unknown } | undefined)?.id
      if (request.method !== 'GET' && reply.statusCode < 300 && typeof id === 'string' && request.routeOptions.url?.startsWith('/stations/:id/supplies/') === true) live.supplies?.mark(id)
    })
  }

  const admin = createAdmin(deps.registry)
  app.register(adminStationsRoute, { admin })
  app.register(adminStationImportRoute, { admin, bodyLimit: security.importBodyLimit })
  app.register(adminDevicesRoute, { admin, registry: deps.registry })
  app.register(adminServicesRoute, { admin, registry: deps.registry })
  app.register(adminTokensRoute, { admin, registry: deps.registry })
  app.register(auditRoute, { registry: deps.registry })
  const alertAdmin = createAlertAdmin(deps.registry)
  app.register(alertSettingsRoute, { registry: deps.registry, alertAdmin })
  app.register(alertsRoute, { registry: deps.registry, alertAdmin })
  app.register(webhooksRoute, { registry: deps.registry, webhookAdmin: createWebhookAdmin(deps.registry) })

  const webRoot = deps.webRoot === undefined ? DEFAULT_WEB_ROOT : deps.webRoot
  app.register(webConfigRoute, { mapTiles: deps.mapTiles ?? null })
  if (webRoot !== null) app.register(webApp, { root: webRoot, mapTiles: deps.mapTiles ?? null })

  return app
}

export type App = ReturnType<typeof buildApp>
