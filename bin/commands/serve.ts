import { startBroker } from '../../broker/create-broker.ts'
import { createPersistence } from '../../broker/create-persistence.ts'
import { startIngest } from '../../ingest/start-ingest.ts'
import type { Config } from '../../platform/config.ts'
import { createLifecycle } from '../../platform/lifecycle.ts'
import type { Logger } from '../../platform/logger.ts'
import { createMetrics } from '../../platform/metrics.ts'
import { startMetricsServer } from '../../platform/metrics-server.ts'
import { openRegistry } from '../../registry/open-registry.ts'
import { startApi } from '../../api/main.ts'

export type ServeRoles = { broker: boolean, api: boolean }

/**
 * Starts the requested roles in one process: `start` runs both (ingest lives inside the
 * broker, because the broker's PUBACK waits for the store), `broker` and `api` one each.
 * Returns the running parts and a shutdown function that closes them in reverse order; pass a
 * lifecycle to have things started before (e.g. a private influxd) closed after them.
 */
export async function serve (config: Config, logger: Logger, roles: ServeRoles, lifecycle = createLifecycle(logger, config.SHUTDOWN_GRACE_MS)) {
  try {
    const registry = openRegistry(config.REGISTRY_PATH)
    lifecycle.add('registry', async () => registry.close())
    const metrics = createMetrics()

    let broker: Awaited<ReturnType<typeof startBroker>> | undefined
    if (roles.broker) {
      const ingest = startIngest(config, logger, metrics)
      lifecycle.add('ingest', () => ingest.close(config.SHUTDOWN_GRACE_MS))
      broker = await startBroker({
        registry,
        ingest: ingest.ingest,
        logger: logger.child({ component: 'broker' }),
        id: config.BROKER_ID,
        host: config.MQTT_HOST,
        port: config.MQTT_PORT,
        maxPendingPerClient: config.INGEST_MAX_PENDING_PER_CLIENT,
        presenceFlushMs: config.PRESENCE_FLUSH_MS,
        persistence: await createPersistence(config),
        metrics
      })
      lifecycle.add('broker', broker.close)
      if (!roles.api && config.METRICS_PORT !== undefined) {
        const server = await startMetricsServer(metrics.registry, config.MQTT_HOST, config.METRICS_PORT)
        lifecycle.add('metrics', server.close)
      }
    }

    let api: Awaited<ReturnType<typeof startApi>> | undefined
    if (roles.api) {
      const b = broker
      const probes = b
        ? {
            broker: async () => b.isListening()
              ? { ok: true, detail: `${b.connectedClients()} clients connected` }
              : { ok: false, detail: 'MQTT listener closed' }
          }
        : undefined
      api = await startApi({ config, logger, registry, metrics: metrics.registry, ...(probes ? { probes } : {}) })
      lifecycle.add('api', api.close)
    }
    return { lifecycle, broker, api, metrics, shutdown: lifecycle.shutdown }
  } catch (err) {
    await lifecycle.shutdown('start-up failed')
    throw err
  }
}
