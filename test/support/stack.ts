import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import type { InfluxDB } from 'influx'
import { serve } from '../../bin/commands/serve.ts'
import { loadConfig, registryOptions, type Config } from '../../platform/config.ts'
import { ensureDatabase, influxClient } from '../../platform/influx.ts'
import { createLogger, type Logger } from '../../platform/logger.ts'
import { openRegistry } from '../../registry/open-registry.ts'
import type { NewStation, Role } from '../../registry/schemas.ts'
import { apiTokens } from './api-tokens.ts'

export type TestStack = Awaited<ReturnType<typeof startTestStack>>

/**
 * The real thing on free ports: Aedes broker with ingest and the Fastify API in one process
 * (as `waystation start` runs them), a fresh registry file and a fresh InfluxDB database.
 */
export async function startTestStack (overrides: Record<string, string> = {}, opts: { logger?: Logger } = {}) {
  const suffix = randomBytes(4).toString('hex')
  const config: Config = loadConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DB: `test_${suffix}`,
    REGISTRY_PATH: `/tmp/waystation-test-${suffix}/registry.sqlite`,
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    SHUTDOWN_GRACE_MS: '5000',
    // Every test client connects from 127.0.0.1: per-address limits are tested on their own.
    MQTT_CONNECTS_PER_WINDOW: '1000000',
    // Likewise for the API's rate limit (tested in security-api.test.ts).
    API_RATE_LIMIT_MAX: '1000000',
    ...overrides
  })
  // A test that reads the log passes its own logger (e.g. writing to memory).
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL)
  const running = await serve(config, logger, { broker: true, api: true })
  const influx: InfluxDB = influxClient(config)
  // Ingest creates the database and policies in the background; tests that drain the rollup
  // job at once must not race it (both are idempotent; autogen is left to ingest).
  await ensureDatabase(influx, config.INFLUX_DB)
  const registry = openRegistry(config.REGISTRY_PATH, registryOptions(config))
  const tokens = await apiTokens(registry)

  async function addStation (station: NewStation, deviceIds: string[] = [`${station.id}-door`]) {
    await registry.addStation(station)
    const devices: Record<string, string> = {}
    for (const id of deviceIds) devices[id] = (await registry.addDevice(station.id, id)).secret
    return devices
  }

  /** InfluxQL against the test database; returns the rows of the statement. */
  async function query<T = Record<string, unknown>> (q: string, placeholders: Record<string, string | number> = {}): Promise<T[]> {
    const rows = await influx.query(q, { placeholders })
    return rows as unknown as T[]
  }

  return {
    config,
    mqttUrl: `mqtt://127.0.0.1:${running.broker!.port}`,
    apiUrl: running.api!.url,
    app: running.api!.app,
    broker: running.broker!,
    /** The rollup job and its status (rollups/start-rollups.ts). */
    rollups: running.rollups!,
    /** The alert evaluator (alerts/evaluator.ts). */
    alertsEvaluator: () => running.alerts!.evaluator,
    influx,
    registry,
    addStation,
    query,
    /** API tokens of each role (the same ones for the whole stack). */
    tokens,
    /** Headers for fetch(): `{ authorization: 'Bearer …' }` with a token of `role`. */
    auth: (role: Role = 'viewer') => tokens[role],
    /** Stops the stack; keepData leaves the database for a restarted stack to use. */
    stop: async ({ keepData = false } = {}) => {
      registry.close()
      await running.shutdown('test finished')
      if (!keepData) await influx.dropDatabase(config.INFLUX_DB).catch(() => {})
    }
  }
}
