// Entry of one worker of `waystation start --workers N` (a child of the primary, forked through
// Node's cluster module): today's `waystation start` stack (broker with ingest, API) in cluster
// mode. Its listen() calls go through the primary, which owns the shared MQTT and HTTP ports and
// hands each accepted connection to one worker in turn (start-workers.ts).
import cluster from 'node:cluster'
import { ConfigError, loadConfig, type Config } from '../../platform/config.ts'
import { createLifecycle } from '../../platform/lifecycle.ts'
import { createLogger } from '../../platform/logger.ts'
import { serve } from '../../bin/commands/serve.ts'
import { isShutdown, readyMessage } from './messages.ts'
import { workerMetricsSource } from './worker-metrics.ts'

if (!cluster.isWorker) throw new Error('cluster/workers/worker-main.ts runs as a worker of `waystation start --workers N`')

const name = process.env.WAYSTATION_WORKER ?? `w${cluster.worker!.id}`
let config: Config
try {
  config = loadConfig()
} catch (err) {
  // The primary checked the same environment before forking: only a bug gets here.
  if (err instanceof ConfigError) { console.error(`${name}: ${err.message}`); process.exit(1) }
  throw err
}
// Every line of the worker names it; the primary's own lines about it carry the same field.
const logger = createLogger(config.LOG_LEVEL).child({ worker: name })
const lifecycle = createLifecycle(logger, config.SHUTDOWN_GRACE_MS)
// SIGTERM/SIGINT straight from the terminal's process group or a service manager: the same
// graceful shutdown as a single process (stop accepting, finish stores and PUBACKs, exit 0).
lifecycle.handleSignals()
// The primary's request (it got the signal): the same shutdown, shared if a signal came too.
process.on('message', (m) => {
  if (!isShutdown(m)) return
  setTimeout(() => {
    logger.error({ graceMs: config.SHUTDOWN_GRACE_MS }, 'shutdown grace period exceeded: exiting')
    process.exit(1)
  }, config.SHUTDOWN_GRACE_MS + 5000).unref()
  void lifecycle.shutdown(m.reason).then(() => process.exit(0))
})
try {
  // /metrics answers for every worker, gathered by the primary (worker-metrics.ts).
  await serve(config, logger, { broker: true, api: true }, lifecycle, { metricsSource: workerMetricsSource })
  process.send!(readyMessage(config.BROKER_ID))
} catch (err) {
  logger.fatal({ err: (err as Error).message }, 'worker failed to start')
  process.exit(1)
}
