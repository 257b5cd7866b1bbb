import { WriteError, type WriteLines } from './influx-write.ts'
import { createLineArena, joinSpans, type Span } from './line-arena.ts'

// Group commit (Telegraf's output shape, without its drop-on-overflow): callers submit lines
// and are told when InfluxDB has accepted them. Whatever queues up while a write is in flight
// goes out together in the next one, so batches grow with load. A short linger (`lingerMs`)
// lets a write that would carry only a few points wait for company: with thousands of
// stations each sending a message now and then, writes otherwise averaged 5 points and the
// HTTP request per write became most of the process's CPU. Under load the oldest entry has
// always waited longer than the linger, so it adds nothing there.

export class BackpressureError extends Error {}
export class ClosedError extends Error {}
/** InfluxDB refused these lines for good (e.g. field type conflict); the rest were stored. */
export class RefusedError extends Error {}

export type BatchWriterOptions = {
  write: WriteLines
  maxBatchPoints: number
  maxBatchBytes: number
  maxInFlight: number
  /** How long a write may wait for more points while it is smaller than maxBatchPoints. */
  lingerMs?: number
  maxPendingPoints: number
  maxPendingBytes?: number
  retryBaseMs?: number
  retryMaxMs: number
  onRetry?: (err: Error, attempt: number, delayMs: number) => void
  onBatch?: (points: number, ms: number) => void
}

/** Called once per entry: null when InfluxDB accepted it, else why not. Must not throw. */
export type WriteDone = (err: Error | null) => void

// One entry per submitter: its lines, already encoded into the arena (see line-arena.ts).
type Entry = Span & { points: number, bytes: number, done: WriteDone, at: number }

export type BatchWriter = ReturnType<typeof createBatchWriter>

export function createBatchWriter (opts: BatchWriterOptions) {
  const queue: Entry[] = []
  let queueHead = 0
  let pendingPoints = 0 // queued + in flight
  let pendingBytes = 0
  let inFlight = 0
  let scheduled = false
  let queuedPoints = 0 // queued, not yet in flight
  let lingerTimer: NodeJS.Timeout | undefined
  const lingerMs = opts.lingerMs ?? 0
  let closing = false
  let aborted = false
  const idleWaiters: Array<() => void> = []
  const stats = { storedPoints: 0, batches: 0, retries: 0, refusedPoints: 0 }
  const arena = createLineArena()

  /**
   * The hot path (one MQTT message → one entry, no promise per message): queues `body` (`points`
   * lines joined by '\n') and calls `done` once InfluxDB has it. When the entry cannot be taken,
   * returns the error at once and never calls `done`.
   */
  function enqueue (body: string, points: number, done: WriteDone): Error | undefined {
    if (closing) return new ClosedError('writer is closing')
    // The cap bounds memory while InfluxDB is down: the caller refuses the message (no
    // PUBACK), so the device keeps it and sends it again later. Nothing is dropped here.
    if (pendingPoints + points > opts.maxPendingPoints || pendingBytes + body.length + 1 > (opts.maxPendingBytes ?? Infinity)) {
      return new BackpressureError(`ingest buffer full (${pendingPoints} points, ${pendingBytes} bytes pending)`)
    }
    const { chunk, start, end } = arena.append(body)
    const bytes = end - start
    pendingPoints += points
    pendingBytes += bytes
    queue.push({ chunk, start, end, points, bytes, done, at: performance.now() })
    queuedPoints += points
    schedule()
    return undefined
  }

  /** `enqueue` as a promise, for callers off the hot path. */
  function submit (lines: string[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const refused = enqueue(lines.join('\n'), lines.length, (err) => { if (err) reject(err); else resolve() })
      if (refused) reject(refused)
    })
  }

  // Defer to the end of the current I/O phase so every message parsed from the same socket
  // read joins one batch.
  function schedule (): void {
    if (scheduled) return
    scheduled = true
    setImmediate(pump)
  }

  function takeBatch (): Entry[] {
    const batch: Entry[] = []
    let points = 0
    let bytes = 0
    while (queueHead < queue.length) {
      const e = queue[queueHead]!
      if (batch.length > 0 && (points + e.points > opts.maxBatchPoints || bytes + e.bytes > opts.maxBatchBytes)) break
      batch.push(e)
      points += e.points
      bytes += e.bytes
      queueHead++
    }
    queuedPoints -= points
    if (queueHead > 1024 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead)
      queueHead = 0
    }
    return batch
  }

  function pump (): void {
    scheduled = false
    while (inFlight < opts.maxInFlight && queueHead < queue.length) {
      if (lingerMs > 0 && !closing && queuedPoints < opts.maxBatchPoints) {
        const wait = queue[queueHead]!.at + lingerMs - performance.now()
        if (wait > 0) {
          lingerTimer ??= setTimeout(() => { lingerTimer = undefined; pump() }, Math.ceil(wait))
          return
        }
      }
      const batch = takeBatch()
      inFlight++
      const seq = sentSeq++
      const outcome: Outcome = []
      // flush records every failure as an outcome and does not reject.
      void flush(batch, outcome).then(() => release(seq, outcome)).finally(() => {
        inFlight--
        for (const e of batch) { pendingPoints -= e.points; pendingBytes -= e.bytes }
        if (queueHead < queue.length) pump()
        else if (inFlight === 0) idleWaiters.splice(0).forEach((w) => w())
      })
    }
  }

  // Outcomes are settled in the order the batches were sent, even when a later write finishes
  // first: a device's PUBACKs then follow the order of its PUBLISHes, and subscribers get a
  // topic's messages in the order they arrived [MQTT-4.6.0-2] [MQTT-4.6.0-6].
  type Outcome = Array<[Entry[], Error | null]>
  let sentSeq = 0
  let settledSeq = 0
  const finished = new Map<number, Outcome>()
  function release (seq: number, outcome: Outcome): void {
    finished.set(seq, outcome)
    for (let next = finished.get(settledSeq); next !== undefined; next = finished.get(settledSeq)) {
      finished.delete(settledSeq++)
      for (const [batch, err] of next) settle(batch, err)
    }
  }

  async function flush (batch: Entry[], out: Outcome): Promise<void> {
    const body = joinSpans(batch)
    let points = 0
    for (const e of batch) points += e.points
    try {
      await writeWithRetry(body, points)
      stats.storedPoints += points
      out.push([batch, null])
    } catch (err) {
      if (err instanceof WriteError && err.kind === 'permanent') {
        if (batch.length === 1) {
          stats.refusedPoints += points
          out.push([batch, new RefusedError(err.message)])
          return
        }
        // Bisect to isolate the entries InfluxDB refuses; rewriting the good half is safe
        // because points are idempotent.
        const mid = batch.length >> 1
        await flush(batch.slice(0, mid), out)
        await flush(batch.slice(mid), out)
        return
      }
      out.push([batch, err as Error])
    }
  }

  function settle (batch: Entry[], err: Error | null): void {
    for (const e of batch) {
      try {
        e.done(err)
      } catch (thrown) {
        // A callback bug must not leave the rest of the batch unanswered.
        queueMicrotask(() => { throw thrown })
      }
    }
  }

  async function writeWithRetry (body: Uint8Array, points: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now()
      try {
        await opts.write(body, abortWrites.signal)
        stats.batches++
        opts.onBatch?.(points, performance.now() - started)
        return
      } catch (err) {
        if (!(err instanceof WriteError) || err.kind !== 'retryable') throw err
        if (aborted) throw new ClosedError(`gave up at shutdown: ${err.message}`)
        // Exponential backoff with full jitter, so many writers don't retry in lockstep.
        const cap = Math.min(opts.retryMaxMs, (opts.retryBaseMs ?? 100) * 2 ** Math.min(attempt - 1, 20))
        const delay = Math.round(Math.random() * cap)
        stats.retries++
        opts.onRetry?.(err, attempt, delay)
        if (await sleepUnlessAborted(delay)) throw new ClosedError(`gave up at shutdown: ${err.message}`)
      }
    }
  }

  // Shutdown past its grace period also abandons the writes in flight: a request to an
  // InfluxDB that does not answer would otherwise hold the exit for the whole write timeout.
  const abortWrites = new AbortController()
  const abortListeners = new Set<() => void>()
  function sleepUnlessAborted (ms: number): Promise<boolean> {
    if (aborted) return Promise.resolve(true)
    return new Promise((resolve) => {
      const done = (aborted: boolean) => { clearTimeout(t); abortListeners.delete(onAbort); resolve(aborted) }
      const onAbort = () => done(true)
      const t = setTimeout(() => done(false), ms)
      abortListeners.add(onAbort)
    })
  }

  function abort (): void {
    aborted = true
    abortWrites.abort()
    clearTimeout(lingerTimer)
    abortListeners.forEach((l) => l())
    const left = queue.splice(queueHead)
    queue.length = 0
    queueHead = 0
    queuedPoints = 0
    for (const e of left) {
      pendingPoints -= e.points
      pendingBytes -= e.bytes
    }
    settle(left, new ClosedError('gave up at shutdown: InfluxDB did not accept the write in time'))
  }

  function idle (): Promise<void> {
    if (inFlight === 0 && queueHead >= queue.length) return Promise.resolve()
    return new Promise((resolve) => idleWaiters.push(resolve))
  }

  /**
   * Stop accepting, then wait until everything submitted is stored. If that takes longer than
   * `graceMs` (InfluxDB down), retries stop and the remaining submitters get ClosedError: their
   * messages were never acknowledged, so devices still hold them.
   */
  async function close (graceMs: number): Promise<void> {
    closing = true
    // What lingers goes out now.
    if (lingerTimer !== undefined) { clearTimeout(lingerTimer); lingerTimer = undefined; pump() }
    const timer = setTimeout(abort, graceMs)
    try {
      await idle()
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    enqueue,
    submit,
    idle,
    close,
    stats: () => ({ ...stats, pendingPoints, pendingBytes, inFlight, queuedEntries: queue.length - queueHead })
  }
}

