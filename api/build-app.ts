// The HTTP API as a Fastify instance that is configured but not listening: tests drive it
// with app.inject(), main.ts (stand-alone or combined process) calls listen(). All I/O it
// needs comes in through `deps`, so nothing here reads the environment.
import Fastify, { type LogLevel } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { InfluxDB } from 'influx'
import type { Registry as MetricsRegistry } from 'prom-client'
import type { Logger } from '../platform/logger.ts'
import type { Registry } from '../registry/open-registry.ts'
import { errorHandler, frameworkErrorHandler, notFoundHandler } from './errors.ts'
import { DEFAULT_PROBE_TIMEOUT_MS, guardProbe, type GuardedProbes, type Probes } from './probes.ts'
import { healthRoute } from './routes/health.ts'
import { metricsRoute } from './routes/metrics.ts'
import { presenceRoute } from './routes/presence.ts'
import { stationRoute } from './routes/station.ts'
import { stationsRoute } from './routes/stations.ts'
import { visitsRoute } from './routes/visits.ts'

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
  /** A station silent for longer is offline (GET /stations/:id/presence). */
  offlineAfterSeconds?: number
  /** Prometheus registry served at /metrics (omitted: no /metrics route). */
  metrics?: MetricsRegistry
}

// Station ids are at most 64 characters, but a longer one must reach validation and get a
// 400 that says why, rather than the router's bare 404 for "no route matched".
const MAX_PARAM_LENGTH = 16 * 1024

export function buildApp (deps: AppDeps) {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  // Set on the root before any route is registered, so every encapsulated plugin inherits them.
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)

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
        { name: 'operations', description: 'Service health' }
      ]
    },
    transform: jsonSchemaTransform
  })
  app.register(swaggerUi, { routePrefix: '/docs' })

  const timeoutMs = deps.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS
  const probes: GuardedProbes = {
    influx: guardProbe(deps.probes.influx, timeoutMs),
    broker: guardProbe(deps.probes.broker, timeoutMs)
  }
  // Load balancers poll /health every few seconds: log it only when something is wrong. A
  // route log level replaces the root one, so never go below what the root logger allows.
  const healthLogLevel = (deps.logger.levelVal >= 40 ? deps.logger.level : 'warn') as LogLevel
  app.register(healthRoute, { probes, registry: deps.registry, logLevel: healthLogLevel })
  app.register(stationsRoute, { registry: deps.registry })
  app.register(stationRoute, { registry: deps.registry })
  app.register(visitsRoute, { registry: deps.registry, influx: deps.influx })
  app.register(presenceRoute, { registry: deps.registry, offlineAfterSeconds: deps.offlineAfterSeconds ?? 300 })
  if (deps.metrics) app.register(metricsRoute, { metrics: deps.metrics })

  return app
}

export type App = ReturnType<typeof buildApp>
