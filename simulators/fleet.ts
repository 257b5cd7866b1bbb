import { setTimeout as sleep } from 'node:timers/promises'
import type { AnyEvent, Channel } from '../contract/index.ts'
import { faultsFor, hasFaults, skewAt, type FaultSpec } from './faults.ts'
import { durableOutgoing } from './file-store.ts'
import type { FleetStation } from './fleet-spec.ts'
import { createStationRun, type DeviceCredential, type Link, type StationRun } from './fleet-station.ts'
import { createCounters, createLatencyHistogram, totals, type ChannelCounts } from './fleet-stats.ts'
import { createStationTruth, type StationTruth } from './ground-truth.ts'
import { localDay } from './local-time.ts'
import { createPublishWindow } from './publish-window.ts'
import { createSharedTimer } from './shared-timer.ts'
import { createStationHeap } from './station-heap.ts'

// A fleet of simulated stations over MQTT, driven by one scheduler: every station's next
// message sits in a min-heap by time, and the scheduler publishes them in time order, either
// as fast as the broker acknowledges (backfill: at most `maxInFlight` unacknowledged
// publishes fleet-wide) or when their simulated time comes (live, `speed` × real time). One
// loop and one keepalive timer for the whole fleet, whatever its size; each station holds
// only its current day, in typed arrays (timeline.ts), and builds a message when it is sent.

export type FleetOptions = {
  /** mqtt://host:port */
  url: string
  stations: FleetStation[]
  /** Devices of each station (a hub, or door + sensors [+ shelf]). */
  credentials: Map<string, DeviceCredential[]>
  seed: number | string
  faults?: FaultSpec[]
  /** Unacknowledged publishes, fleet-wide; default 2000. */
  maxInFlight?: number
  /** Only these channels are published (default: all). */
  channels?: Channel[]
  /** Keep ground truth (default true; costs memory per worker seen). */
  truth?: boolean
  /** MQTT keepalive, seconds (default 60). */
  keepalive?: number
  /** Connections opened at once (default 100). */
  connectConcurrency?: number
  /** Unacknowledged messages in DIR/<deviceId>.jsonl (file-store.ts), resent by a restarted fleet; default in memory. */
  storeDir?: string
  /** The outgoing store could not write: its messages are no longer safe. */
  onStoreError?: (err: Error) => void
}

export type RunOptions = {
  from: number
  until?: number
  /** Live: simulated time runs `speed` × real time. Default: as fast as acknowledged. */
  speed?: number
  /** Cap on events dispatched per second of real time (an offered load, for benchmarks). */
  rate?: number
  signal?: AbortSignal
}
export type GroundTruth = {
  seed: number | string
  from: string
  until: string
  faults: string[]
  stations: Record<string, { city: string, size: string, busyness: number, capacity: number, timeZone: string } & StationTruth>
}

export type Fleet = ReturnType<typeof createFleet>

export function createFleet (opts: FleetOptions) {
  const timer = createSharedTimer()
  const counters = createCounters()
  const latency = createLatencyHistogram()
  const window = createPublishWindow(opts.maxInFlight ?? 2000)
  const channels = opts.channels === undefined ? undefined : new Set(opts.channels)
  const runs: StationRun[] = opts.stations.map((spec, index) => {
    const devices = opts.credentials.get(spec.id)
    if (devices === undefined) throw new Error(`no device credentials for station ${spec.id}`)
    return createStationRun({ spec, index, devices, seed: opts.seed })
  })
  const progress = { connected: 0, from: 0, until: Infinity, simTs: 0, startedAt: 0, endedAt: 0, running: false, /** Sending time of all runs so far. */ runMs: 0 }
  const onReconnect = () => { counters.reconnects++ }
  // Messages found in a store were sent by an earlier run: counted apart, never in `channels`.
  const durable = opts.storeDir === undefined ? undefined : (clientId: string) => {
    const { store, options } = durableOutgoing(opts.storeDir!, clientId, { onRecoveredAck: () => { counters.recovered.acked++ }, onError: opts.onStoreError })
    counters.recovered.sent += store.recovered
    return options
  }

  // What a message is credited to: its channel's counts, or, for a batch, the batches once and
  // its channel once per event.
  type Credit = ChannelCounts | Array<[ChannelCounts, number]>
  const credit = (to: Credit, field: keyof ChannelCounts): void => {
    if (Array.isArray(to)) for (const [c, n] of to) c[field] += n
    else to[field]++
  }
  const settle = (to: Credit, t0: number) => (err?: Error) => {
    window.release()
    const failed = err !== undefined && err !== null
    credit(to, failed ? 'failed' : 'acked')
    if (!failed) latency.record(performance.now() - t0)
  }
  /** The common case (a station without faults): no promise per message. The caller holds a window slot. */
  function publishNow (r: StationRun, event: AnyEvent): void {
    const c = counters.channels[event.channel]
    c.sent++
    r.publish(r.linkFor(event.payload.device), r.topicFor(event.channel), r.render(event), false, settle(c, performance.now()))
  }
  async function send (r: StationRun, link: Link, topic: string, body: string, to: Credit, retain = false): Promise<void> {
    await window.acquire()
    credit(to, 'sent')
    r.publish(link, topic, body, retain, settle(to, performance.now()))
  }
  async function sendMaybeTwice (r: StationRun, link: Link, topic: string, body: string, to: Credit): Promise<void> {
    await send(r, link, topic, body, to)
    // Same payload, same seq: a retransmission the store must absorb.
    if (r.faults.duplicateRate > 0 && r.dupRng.next() < r.faults.duplicateRate) await send(r, link, topic, body, counters.duplicates)
  }
  const announce = (r: StationRun) => Promise.all([...r.links.values()].map((link) =>
    send(r, link, r.topicFor('status'), r.status(link.deviceId, 'online'), counters.status, true)))

  async function connectAll (onProgress?: (done: number, total: number) => void): Promise<void> {
    let next = 0
    const worker = async () => {
      while (next < runs.length) {
        const r = runs[next++]!
        await r.connect(opts.url, timer, opts.keepalive ?? 60, onReconnect, durable)
        await announce(r)
        progress.connected++
        onProgress?.(progress.connected, runs.length)
      }
    }
    await Promise.all(Array.from({ length: Math.min(opts.connectConcurrency ?? 100, runs.length) }, worker))
  }

  /** Back online after an offline window: reconnect, say so, upload the backlog in batches. */
  async function comeBack (r: StationRun): Promise<void> {
    r.offline = undefined
    await r.connect(opts.url, timer, opts.keepalive ?? 60, onReconnect, durable)
    await announce(r)
    for (const b of r.takeBatches()) {
      await sendMaybeTwice(r, r.linkFor(b.deviceId), b.topic, b.body, [[counters.batches, 1], [counters.channels[b.channel], b.events]])
    }
  }

  async function dispatch (r: StationRun, event: AnyEvent): Promise<void> {
    const ch = event.channel
    if (channels !== undefined && !channels.has(ch)) return
    const ts = event.payload.ts
    const offline = r.offlineWindowAt(ts)
    if (offline !== undefined) {
      if (r.offline === undefined) { r.offline = offline; await r.disconnect() }
      r.hold(ch, event.payload.device, r.render(event))
      counters.buffered++
      return
    }
    if (r.offline !== undefined) await comeBack(r)
    await sendMaybeTwice(r, r.linkFor(event.payload.device), r.topicFor(ch), r.render(event), counters.channels[ch])
  }

  let prepared: { from: number, until: number, heap: ReturnType<typeof createStationHeap> } | undefined

  /**
   * Plans every station's first day and positions it at `from` (about 1.5 ms per station:
   * 14 s for 10,000). `run` does it itself when not done before; benchmarks do it first so
   * that it is not part of the measured time.
   */
  async function prepare (from: number, until = Infinity, onProgress?: (done: number, total: number) => void): Promise<void> {
    const heap = createStationHeap()
    for (const r of runs) {
      r.faults = faultsFor(opts.faults ?? [], r.spec, from, opts.seed)
      r.truth = opts.truth === false ? undefined : createStationTruth({ timeZone: r.spec.timeZone, from, until, skew: (ms) => skewAt(r.faults, ms) })
      r.stream = undefined
      r.plain = !hasFaults(r.faults)
      r.advance(from)
      heap.push(r)
      // Let keepalives and progress through now and then.
      if (r.index % 200 === 199) { onProgress?.(r.index + 1, runs.length); await sleep(0) }
    }
    prepared = { from, until, heap }
  }

  async function run ({ from, until = Infinity, speed, rate, signal }: RunOptions) {
    if (speed !== undefined && !(speed > 0)) throw new Error('speed must be > 0')
    if (!(until > from)) throw new Error('until must be after from')
    if (prepared?.from !== from || prepared.until !== until) await prepare(from, until)
    const heap = prepared!.heap
    prepared = undefined
    Object.assign(progress, { from, until, simTs: from, startedAt: Date.now(), endedAt: 0, running: true })
    const realStart = Date.now()
    let dispatched = 0
    try {
      while (heap.size > 0 && signal?.aborted !== true) {
        const r = heap.peek()!
        const ts = r.headTs
        if (ts >= until) break
        if (speed !== undefined) {
          // Live: one timer for the whole fleet, never more than a second, so stop is prompt.
          const wait = (ts - (from + (Date.now() - realStart) * speed)) / speed
          if (wait >= 1) { await sleep(Math.min(wait, 1000)); continue }
        }
        if (rate !== undefined) {
          const wait = realStart + (dispatched / rate) * 1000 - Date.now()
          if (wait >= 1) { await sleep(wait); continue }
        }
        const event = r.head!
        const publish = channels === undefined || channels.has(event.channel)
        // Without faults, a message needs only a window slot: wait for slots only when there are
        // none (whenFree wakes once per event-loop turn, so the refill goes out as one burst).
        if (publish && r.plain && !window.tryAcquire()) { await window.whenFree(); continue }
        dispatched++
        progress.simTs = ts
        if (publish && r.plain) publishNow(r, event)
        else await dispatch(r, event)
        // The station stays at the top of the heap while its message goes out.
        r.advance()
        heap.updateTop()
      }
      if (signal?.aborted !== true) progress.simTs = until
      // Devices still offline at the end come back and upload what they hold.
      for (const r of runs) if (r.offline !== undefined) await comeBack(r)
      await window.idle()
    } finally {
      progress.running = false
      progress.endedAt = Date.now()
      progress.runMs += progress.endedAt - progress.startedAt
    }
    return report()
  }

  function report () {
    // Counters add up over every run (backfill, then live): so does the time.
    const elapsedMs = progress.runMs + (progress.running ? Date.now() - progress.startedAt : 0)
    return { counters, latency, elapsedMs, totals: totals(counters), inFlight: window.inFlight }
  }

  function groundTruth (): GroundTruth {
    const stations: GroundTruth['stations'] = {}
    for (const r of runs) {
      if (r.truth === undefined) continue
      const { days } = r.truth.result()
      // A day not wholly simulated (the run stopped early, or live mode) is partial.
      for (const d of days) if (localDay(d.date, r.spec.timeZone).endMs > progress.simTs) d.partial = true
      const { city, size, busyness, capacity, timeZone } = r.spec
      stations[r.spec.id] = { city, size, busyness, capacity, timeZone, days }
    }
    const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : new Date(progress.simTs).toISOString())
    return { seed: opts.seed, from: iso(progress.from), until: iso(progress.until), faults: (opts.faults ?? []).map((f) => f.text), stations }
  }

  async function close (timeoutMs = 10_000): Promise<void> {
    const deadline = sleep(timeoutMs, 'timeout', { ref: false })
    // A clean disconnect suppresses the will, so devices say 'offline' themselves first.
    await Promise.race([Promise.all(runs.map(async (r) => {
      await Promise.all([...r.links.values()].map(async (link) => {
        if (link.client === undefined) return
        await send(r, link, r.topicFor('status'), r.status(link.deviceId, 'offline'), counters.status, true)
      }))
    })).then(() => window.idle()), deadline])
    await Promise.all(runs.flatMap((r) => [...r.links.values()].map(async (link) => {
      const client = link.client
      link.client = undefined
      if (client !== undefined) await Promise.race([client.end(), sleep(2000, undefined, { ref: false }).then(() => client.end(true))]).catch(() => {})
    })))
    timer.close()
  }

  return { connect: connectAll, prepare, run, report, groundTruth, close, progress, counters, latency, get inFlight () { return window.inFlight }, size: runs.length }
}
