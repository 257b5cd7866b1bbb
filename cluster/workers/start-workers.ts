// `waystation start --workers N` (N > 1): this process becomes the primary. It starts what the
// workers share (a private influxd without INFLUX_URL, a private redis-server without REDIS_URL),
// prepares the registry once, and forks N workers, each today's `start` stack as one node of a
// Redis cluster (docs/cluster.md "Workers"). It owns the MQTT and HTTP ports through Node's
// cluster module and hands each accepted connection to the next worker in turn.
import cluster from 'node:cluster'
import { join } from 'node:path'
import { ConfigError, loadConfig, type Config } from '../../platform/config.ts'
import { createLifecycle } from '../../platform/lifecycle.ts'
import type { Logger } from '../../platform/logger.ts'
import { openConfiguredRegistry } from '../../registry/open-registry.ts'
import { withInflux } from '../../bin/commands/embedded-influx.ts'
import { withRedis } from './embedded-redis.ts'
import { workerEnv, type SharedServices } from './worker-env.ts'
import { serveWorkerMetrics } from './worker-metrics.ts'
import { createWorkerPool, type RestartPolicy } from './worker-pool.ts'

const WORKER_MAIN = join(import.meta.dirname, 'worker-main.ts')

export type StartWorkersOptions = { config: Config, env: NodeJS.ProcessEnv, count: number, logger: Logger, restart?: RestartPolicy }

/** Starts the primary; resolves once every worker is ready. Exits the process on a signal. */
export async function startWorkers (o: StartWorkersOptions) {
  const { logger } = o
  // The primary outlives its workers' own grace period (they are killed after it).
  const stopTimeoutMs = o.config.SHUTDOWN_GRACE_MS + 10_000
  const lifecycle = createLifecycle(logger, stopTimeoutMs)
  let giveUp: ((reason: string) => void) | undefined
  let shared: SharedServices | undefined
  const pool = createWorkerPool({
    count: o.count,
    envFor: (i) => workerEnv(i, shared!),
    logger,
    stopTimeoutMs,
    ...(o.restart ? { restart: o.restart } : {}),
    onGiveUp: (reason) => giveUp?.(reason)
  })
  try {
    // Started first, stopped last (lifecycle order): the workers drain into them.
    const config = await withInflux(o.config, o.env, lifecycle, logger)
    const redisUrl = await withRedis(o.config.REDIS_URL, o.config.DATA_DIR, lifecycle, logger)
    shared = { redisUrl, influxUrl: config.INFLUX_URL, baseBrokerId: o.config.BROKER_ID, ...(o.config.MQTT_SOCKET_PATH ? { socketPath: o.config.MQTT_SOCKET_PATH } : {}) }
    // Every worker's configuration is checked before any is forked: a refusal (e.g.
    // an invalid REDIS_URL) is one clear message, not N crashing workers.
    for (let i = 1; i <= o.count; i++) loadConfig({ ...o.env, ...workerEnv(i, shared) })
    // Opened once here, before the workers: migrations and a new credential key are made by
    // one process (N workers creating the key file at once would each write a different key).
    await (await openConfiguredRegistry(config)).close()
    // Round-robin in the primary (the default except on Windows, said here because the
    // distribution matters): see docs/cluster.md for why not SO_REUSEPORT.
    cluster.schedulingPolicy = cluster.SCHED_RR
    cluster.setupPrimary({ exec: WORKER_MAIN, args: [] })
    lifecycle.add('workers', () => pool.stop())
    // A worker's /metrics asks here for every worker's (worker-metrics.ts).
    const stopMetrics = serveWorkerMetrics({ workers: pool.workers, logger })
    lifecycle.add('worker-metrics', async () => stopMetrics())
    logger.info({ workers: o.count, redis: redisUrl, influx: config.INFLUX_URL }, 'starting workers')
    await pool.start()
    logger.info({ workers: o.count, pids: pool.pids() }, 'all workers ready')
  } catch (err) {
    await lifecycle.shutdown('start-up failed')
    if (err instanceof ConfigError) throw new ConfigError(`--workers ${o.count}: ${err.message}`)
    throw err
  }

  const exit = async (reason: string, code: number) => {
    await lifecycle.shutdown(reason)
    process.exit(pool.failedExits() > 0 ? 1 : code)
  }
  giveUp = (reason) => { void exit(`giving up: ${reason}`, 1) }
  let firstSignalAt = 0
  const onSignal = (signal: NodeJS.Signals) => {
    // Same rule as a single process (platform/lifecycle.ts): a repeat within a second is the
    // same signal delivered twice; a later one forces the exit.
    if (firstSignalAt && Date.now() - firstSignalAt < 1000) return
    if (firstSignalAt) {
      logger.warn({ signal }, 'second signal: killing the workers and exiting now')
      pool.kill()
      process.exit(130)
    }
    firstSignalAt = Date.now()
    setTimeout(() => {
      logger.error({ timeoutMs: stopTimeoutMs }, 'shutdown took too long: exiting')
      pool.kill()
      process.exit(1)
    }, stopTimeoutMs + 30_000).unref()
    void exit(signal, 0)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return { pool, shutdown: lifecycle.shutdown }
}
