// `npm run demo`: InfluxDB (INFLUX_URL, or a private influxd under DATA_DIR), broker + ingest +
// API in this process, five demo stations with 14 days of history, then live traffic.
// Ctrl-C stops everything in reverse order.
import { join } from 'node:path'
import { withInflux } from '../bin/commands/embedded-influx.ts'
import { serve } from '../bin/commands/serve.ts'
import { ConfigError, loadConfig, type Config } from '../platform/config.ts'
import { createLifecycle } from '../platform/lifecycle.ts'
import { createLogger } from '../platform/logger.ts'
import { createStationSimulator, type StationSimulator } from '../simulators/station-simulator.ts'
import { provisionDemoFleet } from './demo-fleet.ts'

const BACKFILL_DAYS = 14
const speed = Number(process.env.DEMO_SPEED ?? '1')

async function main (): Promise<void> {
  let config: Config
  try {
    config = loadConfig({ LOG_LEVEL: 'info', ...process.env })
  } catch (err) {
    if (err instanceof ConfigError) { console.error(err.message); process.exit(1) }
    throw err
  }
  const logger = createLogger(config.LOG_LEVEL)
  const log = (line: string) => logger.info({ component: 'demo' }, line)
  if (!Number.isFinite(speed) || speed <= 0) throw new Error('DEMO_SPEED must be a positive number (1 = real time)')

  // Closed in reverse order: simulators, API, broker, ingest (flush), registry, influxd.
  const lifecycle = createLifecycle(logger, config.SHUTDOWN_GRACE_MS)
  config = await withInflux(config, process.env, lifecycle, logger)
  const running = await serve(config, logger, { broker: true, api: true }, lifecycle)
  const simulators: StationSimulator[] = []
  running.lifecycle.add('simulators', async () => { await Promise.all(simulators.map((s) => s.stop())) })
  running.lifecycle.handleSignals()

  const { openRegistry } = await import('../registry/open-registry.ts')
  const registry = openRegistry(config.REGISTRY_PATH)
  const fleet = await provisionDemoFleet(registry, config.DATA_DIR)
  registry.close()

  const mqttUrl = `mqtt://127.0.0.1:${running.broker!.port}`
  for (const { station, busyness, devices } of fleet.stations) {
    simulators.push(createStationSimulator({
      url: mqttUrl, stationId: station.id, timeZone: station.timezone, devices,
      seed: `demo-${station.id}`, busyness, capacity: station.capacity,
      logger: logger.child({ component: 'simulator', station: station.id })
    }))
  }

  if (fleet.backfilledAt === undefined) {
    log(`backfilling ${BACKFILL_DAYS} days of history for ${simulators.length} stations …`)
    const started = Date.now()
    const results = await Promise.all(simulators.map((s) => s.backfill({ days: BACKFILL_DAYS, until: started })))
    const acked = results.reduce((n, r) => n + r.acked, 0)
    const sent = results.reduce((n, r) => n + r.sent, 0)
    log(`backfill done: ${acked}/${sent} messages acknowledged (= stored) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    fleet.markBackfilled(started)
  } else {
    log(`history was backfilled on ${new Date(fleet.backfilledAt).toISOString()}; remove ${config.DATA_DIR} to start over`)
  }
  for (const s of simulators) s.startLive({ speed })

  const api = running.api!.url
  const today = new Date().toISOString().slice(0, 10)
  const from = new Date(Date.now() - (BACKFILL_DAYS - 1) * 86_400_000).toISOString().slice(0, 10)
  console.log([
    '',
    'Waystation demo is running.',
    `  API     ${api}`,
    `  Docs    ${api}/docs`,
    `  MQTT    ${mqttUrl}`,
    `  Influx  ${config.INFLUX_URL} (database ${config.INFLUX_DB})`,
    '',
    `Try (with a read-only API token, kept in ${join(config.DATA_DIR, 'demo-fleet.json')}):`,
    `  curl -s -H 'Authorization: Bearer ${fleet.viewerToken}' ${api}/stations`,
    `  curl -s -H 'Authorization: Bearer ${fleet.viewerToken}' '${api}/stations/${fleet.stations[0]!.station.id}/visits?from=${from}&to=${today}'`,
    'An admin token (stations, devices, tokens, audit): npm run waystation -- tokens create --name me --role admin',
    '',
    `Live traffic at ${speed}× real time (DEMO_SPEED). Ctrl-C stops everything.`,
    ''
  ].join('\n'))
}

main().catch((err: Error) => {
  console.error(`demo failed: ${err.message}`)
  process.exit(1)
})
