// A lease in Redis: one holder per key in the whole cluster, so that jobs which must run once
// (rollups, alert evaluation, notifications) do not run once per process. The classic single
// instance pattern: SET key token NX PX ttl to take it, a compare-and-extend script to renew,
// a compare-and-delete script to give it back. Every take also INCRs a fence counter, so each
// holding gets a number larger than every earlier one (a stale holder can be told apart).
//
// A holder only trusts its lease until `validUntil` (the time its last successful SET/renew was
// *sent* plus the TTL, minus a margin for clock drift between Redis and us): if renewals fail
// (Redis unreachable, key taken over) it stops the job itself before another node can take over.
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from '../platform/logger.ts'

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`

export type LeaseOptions = {
  redis: Redis
  name: string // e.g. 'rollups'; the key is `waystation:lease:<name>`
  holder: string // who holds it, for humans (broker id, pid); the token adds a random part
  ttlMs: number
  logger: Logger
  onAcquire: (fence: number) => void | Promise<void>
  onLose: (reason: string) => void | Promise<void>
  clock?: () => number
}

export type Lease = {
  /** True while this process may act as the holder (held and not past its validity). */
  held (): boolean
  /** The fence number of the current holding, or null when not held. */
  fence (): number | null
  close (): Promise<void>
}

export function leaseKey (name: string): string { return `waystation:lease:${name}` }

export function createLease (o: LeaseOptions): Lease {
  const clock = o.clock ?? Date.now
  const key = leaseKey(o.name)
  const logger = o.logger.child({ lease: o.name })
  // Renew three times per TTL: two renewals may fail before the holding runs out.
  const everyMs = Math.max(50, Math.floor(o.ttlMs / 3))
  const driftMs = Math.max(10, Math.floor(o.ttlMs / 100))
  let token: string | null = null
  let fenceNo: number | null = null
  let validUntil = 0
  let closed = false
  let busy: Promise<void> = Promise.resolve()

  async function lose (reason: string): Promise<void> {
    if (token === null) return
    token = null
    fenceNo = null
    logger.warn({ reason }, 'lease lost: stopping the job')
    await o.onLose(reason)
  }

  async function round (): Promise<void> {
    const sentAt = clock()
    try {
      if (token === null) {
        const candidate = `${o.holder}:${randomUUID()}`
        const ok = await o.redis.set(key, candidate, 'PX', o.ttlMs, 'NX')
        if (ok !== 'OK' || closed) return
        const fence = await o.redis.incr(`${key}:fence`)
        token = candidate
        fenceNo = fence
        validUntil = sentAt + o.ttlMs - driftMs
        logger.info({ fence, holder: o.holder }, 'lease acquired: running the job here')
        try {
          await o.onAcquire(fence)
        } catch (err) {
          // A job that cannot start here must not keep others from running it.
          logger.error({ err: (err as Error).message }, 'job failed to start: giving the lease back')
          token = null
          fenceNo = null
          await o.redis.eval(RELEASE, 1, key, candidate)
        }
        return
      }
      const renewed = await o.redis.eval(RENEW, 1, key, token, String(o.ttlMs))
      if (renewed === 1) validUntil = sentAt + o.ttlMs - driftMs
      else await lose('taken over or expired in Redis')
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'lease round failed')
    }
    // A holder that could not renew in time stops by itself, before anyone else may take over.
    if (token !== null && clock() >= validUntil) await lose('not renewed within its TTL')
  }

  const tick = () => { busy = busy.then(round) }
  const timer = setInterval(() => { if (!closed) tick() }, everyMs)
  timer.unref()
  tick()

  return {
    held: () => token !== null && clock() < validUntil,
    fence: () => fenceNo,
    async close (): Promise<void> {
      closed = true
      clearInterval(timer)
      await busy
      const mine = token
      if (mine === null) return
      await lose('shutting down')
      // Give it back at once: another node takes over now rather than after the TTL.
      await o.redis.eval(RELEASE, 1, key, mine).catch((err: Error) => logger.warn({ err: err.message }, 'lease release failed'))
    }
  }
}
