import type { Config } from '../platform/config.ts'
import { ensureDatabaseInBackground, influxClient } from '../platform/influx.ts'
import type { Logger } from '../platform/logger.ts'
import type { Metrics } from '../platform/metrics.ts'
import { createBatchWriter } from './batch-writer.ts'
import { createIngest } from './create-ingest.ts'
import { createInfluxWrite } from './influx-write.ts'

/** Wires the ingest pipeline from configuration. */
export function startIngest (config: Config, rootLogger: Logger, metrics?: Metrics) {
  const logger = rootLogger.child({ component: 'ingest' })
  const influx = influxClient(config)
  const schema = ensureDatabaseInBackground(influx, config.INFLUX_DB, (err, attempt) => {
    if (attempt % 10 === 0) logger.warn({ err: err.message, url: config.INFLUX_URL }, 'InfluxDB not reachable yet; retrying')
  }, { rawRetention: config.RAW_RETENTION, logger })
  const writer = createBatchWriter({
    write: createInfluxWrite({
      url: config.INFLUX_URL,
      database: config.INFLUX_DB,
      username: config.INFLUX_USERNAME,
      password: config.INFLUX_PASSWORD,
      timeoutMs: config.INGEST_WRITE_TIMEOUT_MS
    }),
    maxBatchPoints: config.INGEST_BATCH_MAX_POINTS,
    maxBatchBytes: config.INGEST_BATCH_MAX_BYTES,
    maxInFlight: config.INGEST_MAX_IN_FLIGHT,
    lingerMs: config.INGEST_LINGER_MS,
    maxPendingPoints: config.INGEST_MAX_PENDING_POINTS,
    maxPendingBytes: config.INGEST_MAX_PENDING_BYTES,
    retryMaxMs: config.INGEST_RETRY_MAX_DELAY_MS,
    onBatch: (points, ms) => {
      metrics?.batchPoints.observe(points)
      metrics?.writeSeconds.observe(ms / 1000)
    },
    onRetry: (err, attempt, delayMs) => {
      metrics?.retries.inc()
      if (attempt === 1 || attempt % 10 === 0) logger.warn({ err: err.message, attempt, delayMs }, 'InfluxDB write failed; retrying')
    }
  })
  const ingest = createIngest({ writer, logger, ...(metrics ? { metrics } : {}) })
  if (metrics) metrics.sources.pendingPoints = () => writer.stats().pendingPoints
  return {
    ingest,
    schemaReady: schema.ready,
    async close (graceMs: number) {
      schema.cancel()
      await ingest.close(graceMs)
    }
  }
}
