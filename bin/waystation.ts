#!/usr/bin/env node
// Process entry: `waystation start|broker|api|stations|devices|services|tokens|audit|supplies|alerts|webhooks`. Parses
// configuration once, makes the root logger, and hands over to the command.
import { ConfigError, loadConfig, type Config } from '../platform/config.ts'
import { createLifecycle } from '../platform/lifecycle.ts'
import { createLogger } from '../platform/logger.ts'
import { RegistryError } from '../registry/open-registry.ts'
import { alertsCommand } from './commands/alerts-cli.ts'
import { auditCommand, devicesCommand, tokensCommand } from './commands/registry-cli.ts'
import { servicesCommand } from './commands/services-cli.ts'
import { stationsCommand } from './commands/stations-cli.ts'
import { suppliesCommand } from './commands/supplies-cli.ts'
import { webhooksCommand } from './commands/webhooks-cli.ts'

const USAGE = `usage: waystation <command>

  start       broker (with ingest) and API (without INFLUX_URL: a private influxd); [--workers N]:
              N such processes sharing the ports, default one per core (docs/cluster.md "Workers")
  broker      MQTT broker with ingest only
  api         HTTP API only
  stations    add | list | show | update | suspend | activate | retire | import
  devices     add | list | rotate | revoke     device credentials
  services    add | list | update | rotate | revoke   MQTT service clients (dashboards, alerting)
  tokens      create | list | revoke           API tokens (the first admin token: tokens create)
  audit       [--limit N] [--target T]         who changed what
  supplies    list | set | remove | delivery | restock | count | weather   free supplies (docs/supplies.md)
  alerts      list | show | ack | resolve | silence | silences | unsilence | rules   alerts (docs/alerts.md)
  webhooks    add | list | rotate | delete     where alert notifications go

\`waystation <command>\` without arguments shows the command's usage.

Configuration comes from environment variables: see .env.example.`

async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE)
    return command ? 0 : 2
  }
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) { console.error(err.message); return 1 }
    throw err
  }
  try {
    switch (command) {
      case 'start':
      case 'broker':
      case 'api': {
        if (command === 'start' && await startWorkersIfAsked(config, rest)) return -1
        const logger = createLogger(config.LOG_LEVEL)
        const roles = { broker: command !== 'api', api: command !== 'broker' }
        // Loaded here so registry commands don't pay for Aedes and Fastify start-up.
        const { serve } = await import('./commands/serve.ts')
        const lifecycle = createLifecycle(logger, config.SHUTDOWN_GRACE_MS)
        // The all-in-one process needs nothing installed: without INFLUX_URL it runs a private
        // influxd (stopped last). The single roles are for deployments that name their server.
        if (command === 'start') {
          const { withInflux } = await import('./commands/embedded-influx.ts')
          config = await withInflux(config, process.env, lifecycle, logger)
        } else if (!process.env.INFLUX_URL) {
          logger.info({ url: config.INFLUX_URL }, 'INFLUX_URL is not set: using the default')
        }
        const running = await serve(config, logger, roles, lifecycle)
        running.lifecycle.handleSignals()
        return -1 // keep running until a signal
      }
      case 'stations': return await stationsCommand(config, rest)
      case 'devices': return await devicesCommand(config, rest)
      case 'services': return await servicesCommand(config, rest)
      case 'tokens': return await tokensCommand(config, rest)
      case 'audit': return await auditCommand(config, rest)
      case 'supplies': return await suppliesCommand(config, rest)
      case 'alerts': return await alertsCommand(config, rest)
      case 'webhooks': return await webhooksCommand(config, rest)
      default:
        console.error(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`)
        return 2
    }
  } catch (err) {
    if (err instanceof RegistryError) { console.error(`error: ${err.message}`); return 1 }
    if (err instanceof ConfigError) { console.error(err.message); return 1 }
    throw err
  }
}

/** `start --workers N` with N > 1: this process becomes the workers' primary. */
async function startWorkersIfAsked (config: Config, args: string[]): Promise<boolean> {
  const { parseWorkersOption } = await import('../cluster/workers/worker-env.ts')
  const { workers, explicit } = parseWorkersOption(args)
  if (workers === 1) return false
  const logger = createLogger(config.LOG_LEVEL)
  // The default must not make `npm start` need more than it did: without Redis configured or
  // installed it stays one process. An explicit --workers N installs or fails with a clear message.
  if (!explicit && !config.REDIS_URL) {
    const { findRedisServer } = await import('../scripts/redis-server.ts')
    if (await findRedisServer() === null) {
      logger.warn({ cores: workers }, 'redis-server is not installed and REDIS_URL is not set: running one process instead of one per core (install redis-server or pass --workers N to use every core)')
      return false
    }
  }
  const { startWorkers } = await import('../cluster/workers/start-workers.ts')
  await startWorkers({ config, env: process.env, count: workers, logger })
  return true
}

const code = await main(process.argv.slice(2))
if (code >= 0) process.exitCode = code
