// The per-address limits of broker/source-limits.ts shared by every node of a cluster
// (CLUSTER=redis, and so every worker of `--workers N`): the connection rate and the failed-login
// lockout are counted in Redis, so that N processes do not give an address N allowances, and an
// address locked out on one node is refused by all of them.
//
// Round trips: one per connection attempt (the admission script also reads the address's lock
// and whether it has failures on record, which the login then uses), one more per failed login,
// none more for a successful one (a success clears the failures only when the admission saw some).
// The semantics are those of the in-process version: a fixed connect window from the first
// attempt, a sliding window of failures (a sorted set of their times), a lockout for lockoutMs,
// a success clearing the failures. Times are Redis' (TIME), one clock for every node.
//
// Redis unreachable: this process falls back to its own in-process counters (a process still
// protects itself) and says so once every 30 s; the MQTT service does not depend on Redis.
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { createSourceLimits, type SourceLimitOptions, type SourceLimits } from '../broker/source-limits.ts'
import type { Logger } from '../platform/logger.ts'

// KEYS: connect counter, lock, failures. ARGV: connect window (ms).
// Returns [connects in this window, lock's remaining ms (<= 0: none), failures on record].
const ADMIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { n, redis.call('PTTL', KEYS[2]), redis.call('EXISTS', KEYS[3]) }`

// KEYS: failures, lock. ARGV: failure window, max failures, lockout (ms), a unique member.
// Returns the lock's length in ms when this failure locks the address out, else 0.
const FAIL = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[4])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return tonumber(ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], window)
return 0`

// What the admission of a connection learnt, for its login moments later.
type Seen = { at: number, lockedUntil: number, failures: boolean }
const SEEN_MS = 10_000

/** One address's keys; the hash tag keeps them in one slot (Redis Cluster runs scripts per slot). */
export function sourceKeys (ip: string) {
  const base = `waystation:source:{${ip}}`
  return { connects: `${base}:connects`, lock: `${base}:lock`, failures: `${base}:failures` }
}

export function createRedisSourceLimits (o: { redis: Redis, limits: SourceLimitOptions, logger: Logger }): SourceLimits {
  const { redis, limits } = o
  const local = createSourceLimits(limits)
  const seen = new Map<string, Seen>()
  const maxTracked = limits.maxTracked ?? 100_000
  let lastWarn = 0
  const unreachable = (err: Error): void => {
    if (Date.now() - lastWarn < 30_000) return
    lastWarn = Date.now()
    o.logger.warn({ err: err.message }, 'per-address MQTT limits: Redis unreachable, counting in this process only meanwhile')
  }
  const remember = (ip: string, s: Seen): void => {
    seen.delete(ip) // re-inserted last: the oldest entries are the first ones
    if (seen.size >= maxTracked) seen.delete(seen.keys().next().value!)
    seen.set(ip, s)
  }

  return {
    async allowConnect (ip: string): Promise<boolean> {
      const k = sourceKeys(ip)
      try {
        const [n, lockMs, failures] = await redis.eval(ADMIT, 3, k.connects, k.lock, k.failures, String(limits.connectWindowMs)) as [number, number, number]
        const now = Date.now()
        remember(ip, { at: now, lockedUntil: lockMs > 0 ? now + lockMs : 0, failures: failures === 1 })
        return n <= limits.connectsPerWindow
      } catch (err) {
        unreachable(err as Error)
        seen.delete(ip)
        return local.allowConnect(ip)
      }
    },
    async lockedFor (ip: string): Promise<number> {
      const now = Date.now()
      const s = seen.get(ip)
      if (s && now - s.at < SEEN_MS) return Math.max(0, s.lockedUntil - now)
      // No admission of this address just before (not expected: Aedes runs preConnect first).
      try {
        const ms = await redis.pttl(sourceKeys(ip).lock)
        return Math.max(0, ms)
      } catch (err) {
        unreachable(err as Error)
        return local.lockedFor(ip)
      }
    },
    async recordFailure (ip: string): Promise<boolean> {
      const k = sourceKeys(ip)
      try {
        const member = `${Date.now()}:${randomBytes(6).toString('base64url')}`
        const lockMs = await redis.eval(FAIL, 2, k.failures, k.lock, String(limits.failureWindowMs), String(limits.maxFailures), String(limits.lockoutMs), member) as number
        const now = Date.now()
        remember(ip, { at: now, lockedUntil: lockMs > 0 ? now + lockMs : 0, failures: lockMs === 0 })
        return lockMs > 0
      } catch (err) {
        unreachable(err as Error)
        return local.recordFailure(ip)
      }
    },
    recordSuccess (ip: string): void {
      local.recordSuccess(ip)
      const s = seen.get(ip)
      // Failures recorded since the admission by another connection are not known here: the
      // next failure's window still ends them. Without any on record there is nothing to clear.
      if (s && !s.failures) return
      if (s) s.failures = false
      redis.del(sourceKeys(ip).failures).catch(unreachable)
    }
  }
}
