// Wires the live view from configuration for `serve` (bin/commands/serve.ts). The source of
// stored events depends on the process:
//   - `start` (broker and API together): ingest's stored-events hook, the caller attaches
//     `live.onStored` to it;
//   - `api` alone with LIVE_MQTT_SERVICE_ID/SECRET: the broker's feed (mqtt-source.ts);
//   - `api` alone without: InfluxDB re-read every POLL_MS (a fallback; documented).
import type { Registry as MetricsRegistry } from 'prom-client'
import type { Config } from '../../platform/config.ts'
import type { Logger } from '../../platform/logger.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { influxQueryFn } from '../../rollups/influx-query.ts'
import { createInfluxClient } from '../main.ts'
import { createLiveService, type LiveService } from './live-service.ts'
import { startMqttSource } from './mqtt-source.ts'

type LiveConfig = Pick<Config, 'INFLUX_URL' | 'INFLUX_DB' | 'INFLUX_USERNAME' | 'INFLUX_PASSWORD' | 'STATION_OFFLINE_AFTER_S' | 'BROKER_URL' | 'LIVE_HEARTBEAT_S'> &
  Partial<Pick<Config, 'LIVE_MQTT_SERVICE_ID' | 'LIVE_MQTT_SERVICE_SECRET'>>

const POLL_MS = 30_000

export type RunningLive = { live: LiveService, close (): Promise<void> }

/**
 * Creates the live view and runs its first rebuild from InfluxDB (resolves after the first
 * attempt, successful or not). `source: 'hook'`: the caller feeds `live.onStored`.
 */
export async function startLive (opts: { config: LiveConfig, registry: Registry, logger: Logger, metrics?: MetricsRegistry, source: 'hook' | 'broker' }): Promise<RunningLive> {
  const { config } = opts
  const live = createLiveService({
    registry: opts.registry,
    query: influxQueryFn(createInfluxClient(config)),
    logger: opts.logger,
    offlineAfterSeconds: config.STATION_OFFLINE_AFTER_S,
    stream: { heartbeatMs: config.LIVE_HEARTBEAT_S * 1000 },
    ...(opts.metrics ? { metrics: opts.metrics } : {})
  })
  let closeSource = async () => {}
  if (opts.source === 'broker') {
    if (config.LIVE_MQTT_SERVICE_ID && config.LIVE_MQTT_SERVICE_SECRET) {
      const feed = startMqttSource({
        url: config.BROKER_URL,
        serviceId: config.LIVE_MQTT_SERVICE_ID,
        secret: config.LIVE_MQTT_SERVICE_SECRET,
        logger: live.logger,
        onStored: live.onStored,
        resync: () => live.rebuild()
      })
      closeSource = feed.close
    } else {
      live.logger.warn({ everyMs: POLL_MS }, 'live view: no LIVE_MQTT_SERVICE_ID/SECRET, so it is re-read from InfluxDB periodically instead of pushed within a second (docs/dashboard.md)')
      const timer = setInterval(() => { void live.rebuild(true).catch(() => {}) }, POLL_MS)
      timer.unref()
      closeSource = async () => clearInterval(timer)
    }
  }
  await live.start()
  return {
    live,
    async close () {
      await closeSource()
      live.close()
    }
  }
}
