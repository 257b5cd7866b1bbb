import { CHANNELS, type Channel } from '../contract/index.ts'

// Counters of what a fleet sent, and PUBACK latencies, cheap enough to update per message.
// Latencies go into logarithmic buckets 5% wide (1 µs .. ~5 min), so percentiles cost no
// memory however long the run.

export type ChannelCounts = { sent: number, acked: number, failed: number }

export type FleetCounters = {
  /** Events by channel: `sent` once per event whether alone or in a batch. */
  channels: Record<Channel, ChannelCounts>
  /** Events held by offline devices, and batch uploads. */
  buffered: number
  batches: ChannelCounts
  /** Extra copies published by the duplicates fault (not counted in `channels`). */
  duplicates: ChannelCounts
  /** Status messages (online/offline) published by the simulator. */
  status: ChannelCounts
  /** Unacknowledged messages of a previous run found in the outgoing store and resent by MQTT.js (not counted in `channels`). */
  recovered: ChannelCounts
  reconnects: number
}

const GROWTH = 1.05
const BUCKETS = 400

export function createLatencyHistogram () {
  const counts = new Float64Array(BUCKETS)
  let n = 0
  let max = 0
  return {
    /** Record a latency in milliseconds. */
    record (ms: number): void {
      const us = Math.max(1, ms * 1000)
      const i = Math.min(BUCKETS - 1, Math.floor(Math.log(us) / Math.log(GROWTH)))
      counts[i]! += 1
      n++
      if (ms > max) max = ms
    },
    /** Latency (ms) at quantile q (0..1): upper edge of its bucket, so within 5% above. */
    quantile (q: number): number {
      if (n === 0) return 0
      let seen = 0
      for (let i = 0; i < BUCKETS; i++) {
        seen += counts[i]!
        if (seen >= q * n) return Math.min(max, GROWTH ** (i + 1) / 1000)
      }
      return max
    },
    get count () { return n },
    get max () { return max }
  }
}
export type LatencyHistogram = ReturnType<typeof createLatencyHistogram>

export function createCounters (): FleetCounters {
  const zero = (): ChannelCounts => ({ sent: 0, acked: 0, failed: 0 })
  return {
    channels: Object.fromEntries(CHANNELS.map((c) => [c, zero()])) as Record<Channel, ChannelCounts>,
    buffered: 0,
    batches: zero(),
    duplicates: zero(),
    status: zero(),
    recovered: zero(),
    reconnects: 0
  }
}

export function totals (c: FleetCounters): ChannelCounts {
  const t = { sent: 0, acked: 0, failed: 0 }
  for (const ch of Object.values(c.channels)) { t.sent += ch.sent; t.acked += ch.acked; t.failed += ch.failed }
  return t
}

/** A human summary: one line per channel that saw traffic, then batches and faults. */
export function formatSummary (c: FleetCounters, latency: LatencyHistogram, elapsedMs: number): string {
  const pad = (s: string | number, n: number) => String(s).padStart(n)
  const lines = [`${'channel'.padEnd(12)}${pad('sent', 11)}${pad('acked', 11)}${pad('failed', 9)}`]
  for (const [name, ch] of Object.entries(c.channels)) {
    if (ch.sent > 0) lines.push(`${name.padEnd(12)}${pad(ch.sent, 11)}${pad(ch.acked, 11)}${pad(ch.failed, 9)}`)
  }
  const t = totals(c)
  lines.push(`${'total'.padEnd(12)}${pad(t.sent, 11)}${pad(t.acked, 11)}${pad(t.failed, 9)}`)
  const secs = elapsedMs / 1000
  lines.push(`${(t.acked / Math.max(secs, 1e-3)).toFixed(0)} events/s acknowledged over ${secs.toFixed(1)} s; PUBACK latency p50 ${latency.quantile(0.5).toFixed(1)} ms, p99 ${latency.quantile(0.99).toFixed(1)} ms, max ${latency.max.toFixed(1)} ms`)
  if (c.buffered > 0) lines.push(`offline: ${c.buffered} events buffered, uploaded in ${c.batches.sent} batches (${c.batches.acked} acked, ${c.batches.failed} failed)`)
  if (c.duplicates.sent > 0) lines.push(`duplicates: ${c.duplicates.sent} extra copies sent (${c.duplicates.acked} acked)`)
  if (c.recovered.sent > 0) lines.push(`outgoing store: ${c.recovered.sent} unacknowledged messages of a previous run resent (${c.recovered.acked} acked)`)
  if (c.reconnects > 0) lines.push(`reconnects: ${c.reconnects}`)
  return lines.join('\n')
}
