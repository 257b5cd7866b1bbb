// `npm run demo`: InfluxDB (INFLUX_URL, or a private influxd under DATA_DIR), broker + ingest +
// API in this process, five demo stations with 14 days of history, then live traffic.
// Ctrl-C stops everything in reverse order.
import { withInflux } from '../bin/commands/embedded-influx.ts'
import { serve } from '../bin/commands/serve.ts'
import { ConfigError, loadConfig, type Config } from '../platform/config.ts'
import { ensureDatabase, influxClient } from '../platform/influx.ts'
import { createLifecycle } from '../platform/lifecycle.ts'
import { createLogger } from '../platform/logger.ts'
import { createStationSimulator, type StationSimulator } from '../simulators/station-simulator.ts'
import { createDemoConsole } from './demo-console.ts'
import { provisionDemoFleet } from './demo-fleet.ts'

const BACKFILL_DAYS = 14
const speed = Number(process.env.DEMO_SPEED ?? '1')

async function main (): Promise<void> {
  const con = createDemoConsole()
  let config: Config
  try {
    // On a terminal the demo's own lines tell the story; component logs (a line per API
    // request once the dashboard is open) would drown them: warnings and errors only, unless
    // LOG_LEVEL says otherwise. Redirected, everything at info, as JSON.
    config = loadConfig({ LOG_LEVEL: process.stdout.isTTY ? 'warn' : 'info', ...process.env })
  } catch (err) {
    if (err instanceof ConfigError) { console.error(err.message); process.exit(1) }
    throw err
  }
  const logger = createLogger(config.LOG_LEVEL, { destination: con.logDestination })
  const log = (line: string) => { con.say(`  ${line}`); logger.info({ component: 'demo' }, line) }
  if (!Number.isFinite(speed) || speed <= 0) throw new Error('DEMO_SPEED must be a positive number (1 = real time)')
  con.say(`Starting the Waystation demo (data in ${config.DATA_DIR}) …`)

  // Closed in reverse order: simulators, API, broker, ingest (flush), registry, influxd.
  const lifecycle = createLifecycle(logger, config.SHUTDOWN_GRACE_MS)
  lifecycle.add('demo-console', async () => { con.say('Stopped.') })
  config = await withInflux(config, process.env, lifecycle, logger)
  // Ingest creates the database in the background; the rollup job would warn once that it is
  // not there yet, a scary first line for someone trying the demo on a fresh data directory.
  await ensureDatabase(influxClient(config), config.INFLUX_DB, { rawRetention: config.RAW_RETENTION })
  const running = await serve(config, logger, { broker: true, api: true }, lifecycle)
  const simulators: StationSimulator[] = []
  running.lifecycle.add('simulators', async () => { await Promise.all(simulators.map((s) => s.stop())) })
  running.lifecycle.add('demo-console', async () => { con.say('\nStopping (Ctrl-C again to force) …') })
  running.lifecycle.handleSignals()
  const api = running.api!.url
  const mqttUrl = `mqtt://127.0.0.1:${running.broker!.port}`
  log(`broker and ingest on ${mqttUrl}, API on ${api}`)

  const { openConfiguredRegistry } = await import('../registry/open-registry.ts')
  const registry = await openConfiguredRegistry(config)
  const fleet = await provisionDemoFleet(registry, config.DATA_DIR)
  await registry.close()
  log(`${fleet.stations.length} demo stations in Shenzhen, ${fleet.stations.reduce((n, s) => n + s.devices.length, 0)} simulated devices`)

  for (const { station, busyness, devices } of fleet.stations) {
    simulators.push(createStationSimulator({
      url: mqttUrl, stationId: station.id, timeZone: station.timezone, devices,
      seed: `demo-${station.id}`, busyness, capacity: station.capacity,
      logger: logger.child({ component: 'simulator', station: station.id })
    }))
  }

  if (fleet.backfilledAt === undefined) {
    log(`backfilling ${BACKFILL_DAYS} days of history (each message is acknowledged once stored) …`)
    const started = Date.now()
    const bar = con.backfill(simulators.length)
    const results = await Promise.all(simulators.map((s, i) => s.backfill({ days: BACKFILL_DAYS, until: started, onProgress: (p) => bar.report(i, p) })))
    const acked = results.reduce((n, r) => n + r.acked, 0)
    const sent = results.reduce((n, r) => n + r.sent, 0)
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    bar.done(`done: ${acked.toLocaleString('en-US')} of ${sent.toLocaleString('en-US')} messages acknowledged (= stored) in ${seconds} s`)
    logger.info({ component: 'demo', acked, sent, seconds: Number(seconds) }, 'backfill done')
    fleet.markBackfilled(started)
  } else {
    log(`history was backfilled on ${new Date(fleet.backfilledAt).toISOString()}; remove ${config.DATA_DIR} to start over`)
  }
  for (const s of simulators) s.startLive({ speed })

  // The API serves the dashboard once it is built (web/dist); say so rather than print a 404.
  const dashboardBuilt = await fetch(`${api}/`, { signal: AbortSignal.timeout(5000) })
    .then((r) => r.ok && (r.headers.get('content-type') ?? '').startsWith('text/html'), () => false)
  con.summary({
    apiUrl: api,
    mqttUrl,
    influx: `${config.INFLUX_URL} (database ${config.INFLUX_DB})`,
    dashboardBuilt,
    fleetFile: fleet.path,
    tokens: { admin: fleet.adminToken, viewer: fleet.viewerToken },
    firstStation: fleet.stations[0]!.station.id,
    backfillDays: BACKFILL_DAYS,
    speed,
    logHint: con.tty && process.env.LOG_LEVEL === undefined ? 'Logs: warnings and errors only (LOG_LEVEL=info for all).' : undefined,
    now: Date.now()
  })
  logger.info({ component: 'demo', api, dashboard: `${api}/`, docs: `${api}/docs`, mqtt: mqttUrl }, 'demo running')
}

main().catch((err: Error) => {
  console.error(`demo failed: ${err.message}`)
  process.exit(1)
})
