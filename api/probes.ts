// Health probes: small async checks of the services the API depends on. The process entry
// builds them (it knows the URLs); buildApp only calls them, through `guardProbe`, so that
// a probe that hangs or throws still yields an answer and /health always returns.
import { z } from 'zod'
import type { InfluxDB } from 'influx'

export const ProbeResult = z.object({
  ok: z.boolean(),
  latencyMs: z.number().describe('Time the check took, in milliseconds'),
  detail: z.string().optional().describe('Why the check failed, or what answered')
})
export type ProbeResult = z.infer<typeof ProbeResult>
/** What a probe resolves to; without latencyMs, guardProbe measures the call itself. */
export type ProbeOutcome = { ok: boolean, latencyMs?: number, detail?: string }
export type Probe = () => Promise<ProbeOutcome>
export type Probes = { influx: Probe, broker: Probe }
/** Probes after guardProbe: they always resolve, with a latency. */
export type GuardedProbes = { influx: () => Promise<ProbeResult>, broker: () => Promise<ProbeResult> }

export const DEFAULT_PROBE_TIMEOUT_MS = 2000

const elapsed = (start: number) => Math.round(performance.now() - start)

/**
 * `probe` bounded by `timeoutMs`: a rejection or a timeout becomes `{ ok: false }` with the
 * reason in `detail`. The probe keeps running after a timeout (promises cannot be
 * cancelled), so probes must also bound their own I/O; this is the backstop.
 */
export function guardProbe (probe: Probe, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): () => Promise<ProbeResult> {
  return async () => {
    const start = performance.now()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<ProbeResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, latencyMs: elapsed(start), detail: `no answer within ${timeoutMs} ms` }), timeoutMs)
    })
    const run = Promise.resolve().then(probe).then(
      (r): ProbeResult => ({
        ok: r?.ok === true,
        latencyMs: typeof r?.latencyMs === 'number' && Number.isFinite(r.latencyMs) ? r.latencyMs : elapsed(start),
        ...(r?.detail ? { detail: r.detail } : {})
      }),
      (err: unknown): ProbeResult => ({ ok: false, latencyMs: elapsed(start), detail: err instanceof Error ? err.message : String(err) })
    )
    try {
      return await Promise.race([run, timeout])
    } finally {
      clearTimeout(timer)
    }
  }
}

export const DEFAULT_PROBE_SHARE_MS = 1000

/**
 * `probe` shared between callers: concurrent calls wait for one run, and its result is
 * reused for `shareMs`. /health is public and not rate-limited (load balancers have no
 * token), so without this every anonymous request would make the API ping InfluxDB and
 * open an MQTT connection: a flood of /health would turn into a flood on both.
 */
export function shareProbe (probe: () => Promise<ProbeResult>, shareMs = DEFAULT_PROBE_SHARE_MS, now = () => performance.now()): () => Promise<ProbeResult> {
  let running: Promise<ProbeResult> | null = null
  let last: { at: number, result: ProbeResult } | null = null
  return () => {
    if (last !== null && now() - last.at < shareMs) return Promise.resolve(last.result)
    if (running !== null) return running
    running = probe().then((result) => {
      last = { at: now(), result }
      return result
    }).finally(() => { running = null })
    return running
  }
}

/** InfluxDB answers /ping (node-influx `ping`: one entry per configured host). */
export function createInfluxProbe (influx: InfluxDB, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): Probe {
  return async () => {
    const start = performance.now()
    const hosts = await influx.ping(timeoutMs)
    const up = hosts.filter((h) => h.online)
    if (up.length === 0) return { ok: false, latencyMs: elapsed(start), detail: 'InfluxDB did not answer /ping' }
    // rtt is Infinity for a host that failed; report the fastest one that answered.
    const rtt = Math.min(...up.map((h) => h.rtt))
    const version = up.find((h) => h.version)?.version
    return { ok: true, latencyMs: rtt, ...(version ? { detail: `InfluxDB ${version}` } : {}) }
  }
}
