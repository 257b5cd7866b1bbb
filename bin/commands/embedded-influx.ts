// Without INFLUX_URL, `waystation start` and the demo run a private InfluxDB 1.x server
// (scripts/influxd.ts) with its data under DATA_DIR/influxdb, so a machine without InfluxDB
// runs the whole stack out of the box. It is registered first on the lifecycle, so it is
// stopped last, after ingest has flushed. With INFLUX_URL, that server is used and none starts.
import { join } from 'node:path'
import type { Config } from '../../platform/config.ts'
import type { Lifecycle } from '../../platform/lifecycle.ts'
import type { Logger } from '../../platform/logger.ts'
import { startInfluxd, type InfluxServer } from '../../scripts/influxd.ts'

// InfluxDB's usual port when it is free (tools pointed at the default find it), else any.
const USUAL_PORT = 8086

async function start (dataDir: string, log: (line: string) => void): Promise<InfluxServer> {
  const opts = { dataDir: join(dataDir, 'influxdb'), log }
  try {
    return await startInfluxd({ ...opts, port: USUAL_PORT })
  } catch (err) {
    // Taken before the start (probe) or during it (a port race): either way another port.
    if (!/in use/i.test((err as Error).message)) throw err
    log(`port ${USUAL_PORT} is taken; using a free port`)
    return startInfluxd(opts)
  }
}

/**
 * The configuration to run with: unchanged when `env.INFLUX_URL` is set; otherwise a private
 * influxd is started (and added to `lifecycle`) and its URL replaces the default.
 */
export async function withInflux (config: Config, env: NodeJS.ProcessEnv, lifecycle: Lifecycle, logger: Logger): Promise<Config> {
  if (env.INFLUX_URL) return config
  const log = logger.child({ component: 'influxd' })
  const server = await start(config.DATA_DIR, (line) => log.info(line))
  lifecycle.add('influxd', server.stop)
  log.info({ url: server.url, pid: server.pid, dataDir: server.dataDir },
    'INFLUX_URL is not set: running a private InfluxDB under DATA_DIR (stopped with this process); set INFLUX_URL to use your own server')
  return { ...config, INFLUX_URL: server.url }
}
