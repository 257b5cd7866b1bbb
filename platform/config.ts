import { resolve } from 'node:path'
import { z } from 'zod'

const port = z.coerce.number().int().min(0).max(65535)
const positive = z.coerce.number().int().positive()
const url = z.string().url()

// Every setting comes from the environment, parsed once here. `.env.example` documents them.
export const ConfigSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('.data'),
  REGISTRY_PATH: z.string().min(1).optional(),

  INFLUX_URL: url.default('http://127.0.0.1:8086'),
  INFLUX_DB: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'INFLUX_DB: letters, digits and _ only').default('waystation'),
  INFLUX_USERNAME: z.string().optional(),
  INFLUX_PASSWORD: z.string().optional(),

  MQTT_HOST: z.string().min(1).default('0.0.0.0'),
  MQTT_PORT: port.default(1883),
  BROKER_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('waystation-1'),
  // Sessions, offline queues, retained messages: in memory, or in Redis (survive restarts).
  BROKER_PERSISTENCE: z.enum(['memory', 'redis']).default('memory'),
  REDIS_URL: z.string().regex(/^rediss?:\/\/[^\s]+$/, 'REDIS_URL: redis://[user:password@]host:port[/db]').optional(),
  // How often devices' last-seen times are written to the registry.
  PRESENCE_FLUSH_MS: positive.default(5_000),
  // A station with no message or keep-alive from any device for this long counts as offline.
  STATION_OFFLINE_AFTER_S: positive.default(300),
  // Where a stand-alone API process finds the broker for /health.
  BROKER_URL: z.string().regex(/^mqtts?:\/\/[^/]+$/, 'BROKER_URL: mqtt://host:port').default('mqtt://127.0.0.1:1883'),

  // /metrics for a broker-only process (with the API in the process, the API serves it).
  METRICS_PORT: port.optional(),

  API_HOST: z.string().min(1).default('0.0.0.0'),
  API_PORT: port.default(3000),

  INGEST_BATCH_MAX_POINTS: positive.default(5000),
  INGEST_BATCH_MAX_BYTES: positive.default(4 * 1024 * 1024),
  INGEST_MAX_IN_FLIGHT: positive.max(16).default(2),
  INGEST_MAX_PENDING_POINTS: positive.default(200_000),
  INGEST_MAX_PENDING_BYTES: positive.default(64 * 1024 * 1024),
  INGEST_MAX_PENDING_PER_CLIENT: positive.default(2_000),
  INGEST_WRITE_TIMEOUT_MS: positive.default(15_000),
  INGEST_RETRY_MAX_DELAY_MS: positive.default(30_000),

  SHUTDOWN_GRACE_MS: positive.default(15_000)
})

export type Config = z.infer<typeof ConfigSchema> & { REGISTRY_PATH: string }

export class ConfigError extends Error {}

export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "unset" (the usual reading of `FOO=` in .env files).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = ConfigSchema.safeParse(cleaned)
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration:\n${z.prettifyError(parsed.error)}`)
  }
  const c = parsed.data
  if (c.BROKER_PERSISTENCE === 'redis' && !c.REDIS_URL) {
    throw new ConfigError('Invalid configuration:\n✖ REDIS_URL is required when BROKER_PERSISTENCE=redis\n  → at REDIS_URL')
  }
  return { ...c, DATA_DIR: resolve(c.DATA_DIR), REGISTRY_PATH: resolve(c.REGISTRY_PATH ?? `${c.DATA_DIR}/registry.sqlite`) }
}
