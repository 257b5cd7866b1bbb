// Process entry of the API: wires configuration to buildApp and listens. Used by
// `waystation api` (API alone, broker probed over the network) and by `waystation start`
// (everything in one process, which may hand in its own broker probe).
import type { InfluxDB } from 'influx'
import { Redis } from 'ioredis'
import { influxClient } from '../platform/influx.ts'
import type { Config } from '../platform/config.ts'
import type { Logger } from '../platform/logger.ts'
import type { Registry } from '../registry/open-registry.ts'
import pkg from '../package.json' with { type: 'json' }
import { securityFromConfig, type SecurityConfig } from './auth/security-options.ts'
import { buildApp, type App } from './build-app.ts'
import { mapTilesFromConfig, type MapTilesConfig } from './web-config.ts'
import type { RollupStatus } from './figures/day-source.ts'
import { createBrokerProbe } from './broker-probe.ts'
import { createInfluxProbe, DEFAULT_PROBE_TIMEOUT_MS, type Probes } from './probes.ts'
import type { LiveService } from './live/live-service.ts'
import type { MetricsSource } from './routes/metrics.ts'

export type ApiConfig = Pick<Config, 'API_HOST' | 'API_PORT' | 'STATION_OFFLINE_AFTER_S' | 'INFLUX_URL' | 'INFLUX_DB' | 'INFLUX_USERNAME' | 'INFLUX_PASSWORD' | 'BROKER_URL'> & Partial<Pick<Config, 'CLUSTER' | 'REDIS_URL' | 'MQTT_PROXY_PROTOCOL' | 'FLEET_CACHE_MB' | 'FLEET_CACHE_WARM'>> &
  Partial<SecurityConfig> & Partial<MapTilesConfig>

export type StartApiOptions = {
  config: ApiConfig
  logger: Logger
  registry: Registry
  /** Replaces the default probes one by one. */
  probes?: Partial<Probes>
  /** Served at /metrics. */
  metrics?: MetricsSource
  /** The rollup job's status (dirty days, first-seen index), see api/figures/day-source.ts. */
  rollups?: RollupStatus | null
  /** The live view (api/live/start-live.ts). */
  live?: LiveService
}

export type RunningApi = { app: App, url: string, close (): Promise<void> }

// Queries are bounded too: a wedged InfluxDB must turn into a 503, not a request that
// waits for node-influx's default 30 s.
const QUERY_TIMEOUT_MS = 10_000

/** The API's InfluxDB client: bounded query time, no retries (a 503 beats a slow answer). */
export function createInfluxClient (config: Pick<Config, 'INFLUX_URL' | 'INFLUX_DB' | 'INFLUX_USERNAME' | 'INFLUX_PASSWORD'>): InfluxDB {
  return influxClient(config, { requestTimeoutMs: QUERY_TIMEOUT_MS, maxRetries: 0 })
}

export async function startApi ({ config, logger, registry, probes, metrics, rollups, live }: StartApiOptions): Promise<RunningApi> {
  const influx = createInfluxClient(config)
  // CLUSTER=redis: one set of rate-limit counters for every API node.
  const redis = config.CLUSTER === 'redis' && config.REDIS_URL ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 }) : undefined
  redis?.on('error', (err: Error) => logger.warn({ component: 'api', err: err.message }, 'rate-limit redis connection error'))
  const closeRedis = async () => { await redis?.quit().catch(() => redis.disconnect()) }
  const app = buildApp({
    registry,
    influx,
    logger,
    version: pkg.version,
    offlineAfterSeconds: config.STATION_OFFLINE_AFTER_S,
    security: securityFromConfig(config),
    mapTiles: mapTilesFromConfig(config),
    ...(metrics ? { metrics } : {}),
    rollups: rollups ?? null,
    fleetCache: config.FLEET_CACHE_MB === 0 ? null : { maxBytes: (config.FLEET_CACHE_MB ?? 128) * 1024 * 1024, warm: config.FLEET_CACHE_WARM === 'on' },
    ...(live ? { live } : {}),
    ...(redis ? { rateLimitRedis: redis } : {}),
    probes: {
      influx: probes?.influx ?? createInfluxProbe(influx, DEFAULT_PROBE_TIMEOUT_MS),
      broker: probes?.broker ?? createBrokerProbe(config.BROKER_URL, DEFAULT_PROBE_TIMEOUT_MS, config.MQTT_PROXY_PROTOCOL === 'on')
    }
  })
  try {
    await app.listen({ host: config.API_HOST, port: config.API_PORT })
  } catch (err) {
    await app.close()
    await closeRedis()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.API_PORT
  // A wildcard bind address is not somewhere a client can connect to: name loopback instead.
  const bound = config.API_HOST === '0.0.0.0' ? '127.0.0.1' : config.API_HOST === '::' ? '::1' : config.API_HOST
  const host = bound.includes(':') ? `[${bound}]` : bound
  const url = `http://${host}:${port}`
  logger.info({ component: 'api', url, docs: `${url}/docs` }, 'API listening')
  return { app, url, close: async () => { await app.close(); await closeRedis() } }
}
