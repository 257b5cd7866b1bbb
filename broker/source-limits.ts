import type { Client } from 'aedes'

export type SourceLimitOptions = {
  /** Failed logins from one address within `failureWindowMs` that trigger a lockout. */
  maxFailures: number
  failureWindowMs: number
  lockoutMs: number
  /** Connection attempts one address may make per `connectWindowMs`. */
  connectsPerWindow: number
  connectWindowMs: number
  /** Addresses tracked at most; the oldest entries are forgotten first (bounded memory). */
  maxTracked?: number
}

type Entry = { windowStart: number, connects: number, failures: number[], lockedUntil: number }

/**
 * Per source address: connection rate and failed-login lockout. A device fleet behind one
 * carrier-grade NAT shares an address, so limits are generous and the lockout is temporary:
 * it slows a password-guessing run to a crawl without stranding a station for long.
 */
export function createSourceLimits (opts: SourceLimitOptions) /* : SourceLimits, with the clock injectable */ {
  const entries = new Map<string, Entry>()
  const maxTracked = opts.maxTracked ?? 100_000

  function entry (ip: string, now: number): Entry {
    let e = entries.get(ip)
    if (!e) {
      if (entries.size >= maxTracked) entries.delete(entries.keys().next().value!)
      e = { windowStart: now, connects: 0, failures: [], lockedUntil: 0 }
      entries.set(ip, e)
    }
    return e
  }

  return {
    /** Counts a connection attempt; false when the address is over its rate. */
    allowConnect (ip: string, now = Date.now()): boolean {
      const e = entry(ip, now)
      if (now - e.windowStart >= opts.connectWindowMs) { e.windowStart = now; e.connects = 0 }
      e.connects++
      return e.connects <= opts.connectsPerWindow
    },
    lockedFor (ip: string, now = Date.now()): number {
      const e = entries.get(ip)
      return e && e.lockedUntil > now ? e.lockedUntil - now : 0
    },
    recordFailure (ip: string, now = Date.now()): boolean {
      const e = entry(ip, now)
      e.failures = e.failures.filter((t) => now - t < opts.failureWindowMs)
      e.failures.push(now)
      if (e.failures.length >= opts.maxFailures) {
        e.lockedUntil = now + opts.lockoutMs
        e.failures = []
        return true
      }
      return false
    },
    recordSuccess (ip: string): void {
      const e = entries.get(ip)
      if (e) e.failures = []
    },
    tracked: () => entries.size
  }
}

/**
 * What the broker asks of per-address limits: this process's counters (above), or the cluster's
 * in Redis (cluster/source-limits-redis.ts), whose answers take a round trip.
 */
export type SourceLimits = {
  /** Counts a connection attempt; false when the address is over its rate. */
  allowConnect (ip: string): boolean | Promise<boolean>
  /** Milliseconds the address is still locked out for; 0 when it is not. */
  lockedFor (ip: string): number | Promise<number>
  /** Counts a failed login; true when this one locks the address out. */
  recordFailure (ip: string): boolean | Promise<boolean>
  recordSuccess (ip: string): void
}

/** The peer address of a TCP, TLS or WebSocket connection. */
export function remoteAddress (client: Client): string {
  const conn = client.conn as { remoteAddress?: string }
  const req = (client as unknown as { req?: { socket?: { remoteAddress?: string } } }).req
  return conn.remoteAddress ?? req?.socket?.remoteAddress ?? 'unknown'
}
