// Runs a job only while this process holds its lease: started when the lease is taken, closed
// when it is lost or on shutdown. Several processes call this with the same name; at any time at
// most one of them runs the job, and when it dies another takes over within the lease's TTL.
import type { Redis } from 'ioredis'
import type { Logger } from '../platform/logger.ts'
import { createLease, type Lease } from './lease.ts'

export type Job = { close (): Promise<void> }

export type LeasedJob<T extends Job> = {
  /** The running job, or null while another process holds the lease. */
  current (): T | null
  lease: Lease
  close (): Promise<void>
}

export function runLeased<T extends Job> (o: { redis: Redis, name: string, holder: string, ttlMs: number, logger: Logger, start: (fence: number) => T | Promise<T> }): LeasedJob<T> {
  let job: T | null = null
  const lease = createLease({
    redis: o.redis,
    name: o.name,
    holder: o.holder,
    ttlMs: o.ttlMs,
    logger: o.logger,
    onAcquire: async (fence) => { job = await o.start(fence) },
    onLose: async () => {
      const running = job
      job = null
      await running?.close()
    }
  })
  return { current: () => job, lease, close: () => lease.close() }
}
