// `waystation start --workers N` (N > 1) coordinates its workers through Redis (docs/cluster.md
// "Workers"). Without REDIS_URL the primary runs a private redis-server (scripts/redis-server.ts)
// with its data under DATA_DIR/redis, as `start` runs a private influxd without INFLUX_URL: a
// machine without Redis configured runs every core out of the box. Registered on the primary's
// lifecycle before the workers, so it is stopped after they have drained.
import { join } from 'node:path'
import type { Lifecycle } from '../../platform/lifecycle.ts'
import type { Logger } from '../../platform/logger.ts'
import { startRedis, type RedisServer } from '../../scripts/redis-server.ts'

// Redis's usual port when it is free (redis-cli without arguments finds it), else any.
const USUAL_PORT = 6379

async function start (dataDir: string, log: (line: string) => void): Promise<RedisServer> {
  const opts = { dataDir: join(dataDir, 'redis'), log }
  try {
    return await startRedis({ ...opts, port: USUAL_PORT })
  } catch (err) {
    // Taken before the start (probe) or during it (a port race): either way another port.
    if (!/in use/i.test((err as Error).message)) throw err
    log(`port ${USUAL_PORT} is taken; using a free port`)
    return startRedis(opts)
  }
}

/** The Redis URL the workers share: `redisUrl` when given, else a private server's (added to `lifecycle`). */
export async function withRedis (redisUrl: string | undefined, dataDir: string, lifecycle: Lifecycle, logger: Logger): Promise<string> {
  if (redisUrl) return redisUrl
  const log = logger.child({ component: 'redis-server' })
  const server = await start(dataDir, (line) => log.info(line))
  lifecycle.add('redis-server', server.stop)
  log.info({ url: server.url, pid: server.pid, dataDir: server.dataDir },
    'REDIS_URL is not set: running a private Redis under DATA_DIR for the workers (stopped with this process); set REDIS_URL to use your own server')
  return server.url
}
