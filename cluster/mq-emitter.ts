// Aedes' message bus shared by every node of a cluster (CLUSTER=redis): mqemitter-redis, i.e.
// Redis PUBLISH / PSUBSCRIBE. Through it a message published on one node reaches subscribers on
// every node (commands to a device on another node, live feeds), and Aedes' own `$SYS/<id>/…`
// notices reach the other brokers: heartbeats (whose wills are orphaned) and `new/clients`
// (a client id connecting on one node closes its connection on the others [MQTT-3.1.4-2]).
//
// Delivery through it is at most once: Redis pub/sub keeps nothing for a subscriber that is
// disconnected, and a node's own subscribers are reached through Redis too. So it is never the
// path to storage: each node stores what its own clients publish before the PUBACK, and only
// then forwards (broker/publish-fast-path.ts).
import { Redis } from 'ioredis'
import MQEmitterRedis from 'mqemitter-redis'
import type { Logger } from '../platform/logger.ts'

// Aedes' default (its own in-memory emitter gets the same): messages handled at once.
const CONCURRENCY = 100
// Redis unreachable at shutdown: mqemitter-redis waits for both connections to end.
const CLOSE_TIMEOUT_MS = 2_000

export type ClusterEmitter = {
  mq: unknown
  /** The subscribing connection is back after a loss: messages between nodes were lost meanwhile. */
  onReconnect (listener: () => void): void
}

export async function createClusterEmitter (o: { redisUrl: string, logger: Logger }): Promise<ClusterEmitter> {
  const logger = o.logger.child({ component: 'cluster-mq' })
  // Subscriptions: queued while (re)connecting and renewed after a reconnect (ioredis'
  // autoResubscribe), so the node hears the others again once Redis is back.
  const subConn = new Redis(o.redisUrl, { lazyConnect: true })
  // Publishes fail at once while Redis is unreachable instead of waiting in ioredis' offline
  // queue: a forward that waits holds the publishing device's next read (the fast path resumes
  // reading when the forward calls back), and a late message is of no use to a live view.
  const pubConn = new Redis(o.redisUrl, { lazyConnect: true, enableOfflineQueue: false, enableAutoPipelining: true, maxRetriesPerRequest: 1 })
  await Promise.all([subConn.connect(), pubConn.connect()]).catch((err: Error) => {
    subConn.disconnect()
    pubConn.disconnect()
    throw new Error(`CLUSTER=redis: cannot reach Redis at REDIS_URL for cross-node delivery: ${err.message}`)
  })
  const mq = MQEmitterRedis({ subConn, pubConn, concurrency: CONCURRENCY, matchEmptyLevels: true /* [MQTT-4.7.1-3], as Aedes' own emitter */ })
  // mqemitter-redis re-emits connection errors on `state`; unhandled, an 'error' event would
  // end the process at the first Redis restart.
  const state = (mq as unknown as { state: NodeJS.EventEmitter }).state
  let lastWarn = 0
  state.on('error', (err: Error) => {
    if (Date.now() - lastWarn < 5_000) return
    lastWarn = Date.now()
    logger.warn({ err: err.message }, 'cross-node delivery: Redis connection error (messages between nodes are lost meanwhile)')
  })
  const reconnected: Array<() => void> = []
  // The first 'ready' was the connect above.
  subConn.on('ready', () => {
    logger.info('cross-node delivery: Redis connection back')
    for (const l of reconnected) l()
  })

  // Aedes' close() ends with mq.close(cb). mqemitter-redis' own close waits for both
  // connections' 'end' events (for ever with Redis gone) and leaves QUIT's rejection unhandled
  // (which ends the process): quit each connection within CLOSE_TIMEOUT_MS, then close the
  // emitter itself.
  const target = mq as unknown as { closing: boolean, close (cb: () => void): void, _close (cb: () => void): void }
  target.close = (cb: () => void) => {
    target.closing = true // mqemitter-redis reports no more connection errors
    void Promise.all([subConn, pubConn].map(quit)).then(() => target._close(cb))
  }
  return { mq, onReconnect: (l) => { reconnected.push(l) } }
}

async function quit (conn: Redis): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    conn.quit().catch(() => {}),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_TIMEOUT_MS) })
  ])
  clearTimeout(timer)
  conn.disconnect()
}
