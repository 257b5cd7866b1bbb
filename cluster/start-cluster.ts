// Cluster coordination on Redis (CLUSTER=redis): the jobs that must run once per cluster (the
// rollup job, the alert evaluator, the notifier) each run under their own lease, and every
// node hands what it stored to the stream those jobs read (cluster/stored-feed.ts).
import { Redis } from 'ioredis'
import type { StoredListener } from '../ingest/create-ingest.ts'
import type { Logger } from '../platform/logger.ts'
import { runLeased, type Job, type LeasedJob } from './run-leased.ts'
import { createFeedReader, createFeedWriter } from './stored-feed.ts'

export type ClusterOptions = { redisUrl: string, node: string, leaseTtlMs: number, logger: Logger }
/** What a leased job listens to instead of the local ingest: every node's stored events. */
export type ClusterEvents = { onStored: (l: StoredListener) => void }

export async function startCluster (o: ClusterOptions) {
  const logger = o.logger.child({ component: 'cluster' })
  const redis = new Redis(o.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 })
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'))
  // Fail at start-up with a clear message rather than run jobs nowhere.
  await redis.connect().catch((err: Error) => { throw new Error(`CLUSTER=redis: cannot reach Redis at REDIS_URL: ${err.message}`) })
  // Unique per process (several workers may share a BROKER_ID prefix), readable in Redis.
  const holder = `${o.node}:${process.pid}`
  const writer = createFeedWriter({ redis, logger, node: holder })
  const leased: Array<LeasedJob<Job>> = []

  /** Runs `start` only while this process holds the lease `name`; `events` carries every node's stored events. */
  function lease (name: string, start: (events: ClusterEvents) => Job | Promise<Job>): LeasedJob<Job> {
    const job = runLeased({
      redis,
      name,
      holder,
      ttlMs: o.leaseTtlMs,
      logger,
      start: async () => {
        // Its own connection: XREAD BLOCK holds one for up to a second.
        const conn = redis.duplicate()
        conn.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'))
        const reader = createFeedReader({ redis: conn, logger, name })
        let inner: Job
        try {
          inner = await start(reader)
        } catch (err) {
          await reader.close()
          conn.disconnect()
          throw err
        }
        reader.start()
        return {
          async close (): Promise<void> {
            await reader.close()
            conn.disconnect()
            await inner.close()
          }
        }
      }
    })
    leased.push(job)
    return job
  }

  return {
    redis,
    holder,
    lease,
    /** For the local ingest: what this node stored goes to the cluster's feed. */
    onStored: writer.onStored,
    /** Leases first (their jobs stop and hand over), then the last batch, then the connection. */
    async close (): Promise<void> {
      await Promise.all(leased.map((j) => j.close()))
      await writer.close()
      await redis.quit().catch(() => redis.disconnect())
    }
  }
}
