// The application-level rollup job. Every stored event marks the station-days it can change
// as dirty (in memory, and in the rollup state a moment later, in order: a crash in between
// is covered by the start-up sweep of recent days); a worker recomputes dirty days from
// raw events once they settle, writes daily and hourly rollup points, then the month's
// worker set, and clears the marks it consumed. A late upload therefore changes exactly the
// days it belongs to. Design and portability: docs/rollups.md.
import type { AnyEvent } from '../contract/index.ts'
import type { Logger } from '../platform/logger.ts'
import { addDays, localDate, localMidnightUtc } from '../platform/local-day.ts'
import { DEFAULT_BAND } from './comfort-band.ts'
import { computeDaysFromInflux } from './compute-days.ts'
import { datesBetween, localDayOf, monthBounds, monthOf, ymdOf } from './day-bounds.ts'
import type { QueryFn } from './influx-query.ts'
import { DWELL_HORIZON_MS, OCCUPANCY_STALE_MS, rawEventsKept, type ReadRawOptions } from './raw-events.ts'
import { dayLine, hourLine, monthLine } from './rollup-codec.ts'
import type { DirtyDay, RollupState } from './rollup-state.ts'
import { readDays } from './rollup-store.ts'
import { periodOf } from './period.ts'
import { createStationChanges } from './station-changes.ts'
import { createStationInfo, type StationLookup } from './station-info.ts'
import { transcodeRollups } from './transcode-rollups.ts'

export type RollupJobOptions = {
  state: RollupState
  stations: StationLookup
  query: QueryFn
  write: (body: string) => Promise<void>
  logger: Logger
  /** RAW_RETENTION in ms (null or unset: raw events are kept forever). */
  rawRetentionMs?: number | null
  /** Station batches recomputed at once (each is one raw query, compute, one write). */
  concurrency?: number
  /** A dirty day waits until it had no new event for settleMs, or maxDelayMs since first marked. */
  settleMs?: number
  maxDelayMs?: number
  tickMs?: number
  /** How often station settings are compared with those of their rollups (station-changes.ts). */
  settingsPollMs?: number
  now?: () => number
  /** How raw events are read: rows per chunk (the most held at once per stream), chunk instrumentation. */
  raw?: Pick<ReadRawOptions, 'chunkRows' | 'onChunk'>
}

type Entry = { version: number, firstAt: number, lastAt: number }
type Task = { station: string, dates: string[], versions: number[] }

const WRITE_CHUNK_LINES = 5000
// Yesterday and today of every station, hourly: quiet days get a rollup too.
const SWEEP_MS = 3_600_000

export function createRollupJob (opts: RollupJobOptions) {
  const { state, query, write, logger } = opts
  const now = opts.now ?? Date.now
  const concurrency = opts.concurrency ?? 2
  const settleMs = opts.settleMs ?? 10_000
  const maxDelayMs = opts.maxDelayMs ?? 300_000
  const info = createStationInfo(opts.stations)
  const rawOptions: ReadRawOptions = opts.raw ?? {}
  // A day that may have lost raw events keeps its rollup: a recompute would make it smaller.
  const rebuildable = (start: number) => rawEventsKept(start, now(), opts.rawRetentionMs ?? null)
  // station → date → entry; Map order rotates stations for fairness.
  const dirty = new Map<string, Map<string, Entry>>()
  const inFlight = new Map<string, Promise<void>>()
  const retryAt = new Map<string, number>()
  // Stations whose settings change is being applied: no recompute may start meanwhile.
  const held = new Set<string>()
  // Registry reads of stations whose events came before they were cached (markSpan).
  const lookups = new Set<Promise<void>>()
  const counts = { recomputedDays: 0, failures: 0 }
  let timer: NodeJS.Timeout | undefined
  let sweeper: NodeJS.Timeout | undefined
  let settingsTimer: NodeJS.Timeout | undefined
  let closed = false
  let transcode: ReturnType<typeof transcodeRollups> | undefined
  // Marks and clears reach the state in the order they were made (a clear must never overtake
  // the mark it consumes). SQLite runs statements in the order they are issued (one
  // connection), at once when no transaction is open: the mark of a stored event is on disk
  // before its PUBACK, as it always was. A PostgreSQL pool may run two statements on two
  // connections at once: there each waits for the one before.
  let persisted: Promise<void> = Promise.resolve()
  function persist (what: string, write: () => Promise<unknown>): Promise<void> {
    const run = () => write().then(() => {}, (err: Error) => logger.error({ err: err.message }, `rollup state: ${what} not recorded`))
    persisted = state.dialect === 'sqlite' ? Promise.all([persisted, run()]).then(() => {}) : persisted.then(run)
    return persisted
  }
  const changes = createStationChanges({ state, stations: opts.stations, query, logger, rawRetentionMs: opts.rawRetentionMs ?? null, now, markDates, exclusive })

  /** Settles (never rejects) once the marks are in the state, or their failure is logged. */
  function markDates (station: string, dates: readonly string[]): Promise<void> {
    if (closed) { logger.error({ station }, 'rollup job closed: dirty mark not recorded'); return persisted }
    if (dates.length === 0) return persisted // an empty entry would keep drain() waiting forever
    const t = now()
    let days = dirty.get(station)
    if (!days) dirty.set(station, days = new Map())
    const fresh: DirtyDay[] = []
    for (const date of dates) {
      const e = days.get(date)
      if (e) { e.version++; e.lastAt = t } else { days.set(date, { version: 1, firstAt: t, lastAt: t }); fresh.push({ station, date }) }
    }
    return fresh.length > 0 ? persist('dirty mark', () => state.markDirty(fresh, t)) : persisted
  }

  function markSpan (station: string, from: number, to: number): void {
    const s = info.peek(station)
    if (s) { markSpanOf(s, station, from, to); return }
    // Not cached yet (registered since the last listing, or no start() yet): one registry read
    // for the station, however many of its events arrive meanwhile; they are marked when it
    // answers. flushed() and drain() wait for these reads.
    const p: Promise<void> = info.get(station).then((f) => { if (f) markSpanOf(f, station, from, to) },
      (err: Error) => logger.error({ station, err: err.message }, 'rollup: cannot read the station from the registry: dirty mark not recorded (the next sweep marks recent days)'))
      .finally(() => lookups.delete(p))
    lookups.add(p)
  }

  async function settleLookups (): Promise<void> {
    while (lookups.size > 0) await Promise.all(lookups)
  }

  function markSpanOf (s: { dateOf: (t: number) => string }, station: string, from: number, to: number): void {
    const a = s.dateOf(from)
    const b = s.dateOf(to)
    if (a === b) {
      // The common case, once per stored event: an already dirty day needs no allocation.
      const e = closed ? undefined : dirty.get(station)?.get(a)
      if (e) { e.version++; e.lastAt = now(); return }
      void markDates(station, [a])
      return
    }
    const dates = [a]
    for (let d = addDays(a, 1); d <= b; d = addDays(d, 1)) dates.push(d)
    void markDates(station, dates)
  }

  /** ingest.onStored listener: cheap, synchronous, never throws. */
  function onStored (station: string, event: AnyEvent): void {
    const t = event.payload.ts
    if (event.channel === 'door') {
      // An entry pairs with the worker's next door event up to DWELL_HORIZON_MS later.
      const paired = event.payload.result === 'granted' && event.payload.worker !== undefined
      markSpan(station, paired ? t - DWELL_HORIZON_MS : t, t)
    } else if (event.channel === 'occupancy') {
      markSpan(station, t, t + OCCUPANCY_STALE_MS) // the count also holds into the next day
    } else if (event.channel === 'environment') {
      markSpan(station, t, t)
    }
  }

  function nextTask (force: boolean): Task | null {
    const t = now()
    for (const [station, days] of dirty) {
      if (inFlight.has(station) || held.has(station) || (retryAt.get(station) ?? 0) > t) continue
      const ready = [...days].filter(([, e]) => force || t - e.lastAt >= settleMs || t - e.firstAt >= maxDelayMs).map(([d]) => d).sort()
      if (ready.length === 0) continue
      // One batch: consecutive dates inside one month (one raw query, one month recompute).
      const dates = [ready[0]!]
      for (const d of ready.slice(1)) {
        if (d !== addDays(dates.at(-1)!, 1) || monthOf(d) !== monthOf(dates[0]!)) break
        dates.push(d)
      }
      dirty.delete(station)
      dirty.set(station, days) // to the back of the queue
      return { station, dates, versions: dates.map((d) => days.get(d)!.version) }
    }
    return null
  }

  async function recompute (task: Task): Promise<void> {
    const s = await info.get(task.station, true)
    if (!s) { finish(task); return }
    const all = task.dates.map((d) => localDayOf(d, s.timezone))
    const days = all.filter((d) => rebuildable(d.start))
    if (days.length < all.length) logger.warn({ station: task.station, from: task.dates[0], days: all.length - days.length }, 'not recomputed: raw events of these days are past RAW_RETENTION (their rollups stay as they are)')
    if (days.length === 0) { finish(task); return }
    const computed = await computeDaysFromInflux(query, days, {
      stationId: task.station, capacity: s.capacity, timeZone: s.timezone, openingHours: s.openingHours, band: DEFAULT_BAND, firstSeen: state.firstSeen
    }, rawOptions)
    const lines = [...computed.days.map((d) => dayLine(task.station, d)), ...computed.hours.map((h) => hourLine(task.station, h))]
    for (let i = 0; i < lines.length; i += WRITE_CHUNK_LINES) await write(lines.slice(i, i + WRITE_CHUNK_LINES).join('\n'))
    // Records that an earlier entry replaced: those days had one first-time visitor too many.
    for (const old of await state.recordFirstSeen(task.station, computed.firstEntries)) {
      const o = await info.get(old.station)
      if (o) markDates(old.station, [o.dateOf(old.at)])
    }
    // A batch of another station running at the same time may have recorded an earlier entry
    // after this one read the index: then a newcomer counted here is not one.
    const now = await state.firstSeen([...computed.newcomers.keys()])
    for (const [worker, at] of computed.newcomers) {
      const r = now.get(worker)
      if (!r || r.station !== task.station || r.at !== at) markDates(task.station, [s.dateOf(at)])
    }
    await recomputeMonth(task.station, s.timezone, monthOf(task.dates[0]!))
    counts.recomputedDays += task.dates.length
    finish(task)
  }

  /**
   * The station-month's summary: its day rollups summed, and distinct workers as the union of
   * their worker sets. A month with days that have no rollup (nothing marked them) counts
   * fewer `days`, and readers treat it as incomplete.
   */
  async function recomputeMonth (station: string, timeZone: string, month: string): Promise<void> {
    const { first, last } = monthBounds(month)
    const days = (await readDays(query, { stations: [station], from: first, to: last }, { workers: true, dwell: true })).get(station) ?? []
    // Days of the month (up to today) without a rollup get one, zeros if need be, so that the
    // month's summary is complete and readers can use it instead of the days.
    const today = localDate(now(), timeZone)
    const have = new Set(days.map((d) => d.date))
    const pending = dirty.get(station)
    const gaps = datesBetween(first, last < today ? last : today).filter((d) => !have.has(d) && !pending?.has(d) && rebuildable(localDayOf(d, timeZone).start))
    if (gaps.length > 0) markDates(station, gaps)
    const period = periodOf(days)
    const workers = new Set<string>()
    for (const d of days) for (const w of d.workers ?? []) workers.add(w)
    period.workers = [...workers].sort()
    period.uniqueWorkers = period.workers.length
    await write(monthLine(station, localMidnightUtc(first, timeZone).getTime(), Math.floor(ymdOf(first) / 100), period))
    // After the write, so that whoever reads the new token reads the new point; a failure
    // fails the task (retried): the API's cached fleet answers must not outlive the month.
    await state.bumpMonthGeneration(month)
  }

  /**
   * Runs fn with no recompute of the station running or starting: a settings change deletes
   * points and marks days, and a recompute with the old settings must not write in between.
   */
  async function exclusive<T> (station: string, fn: () => Promise<T>): Promise<T> {
    held.add(station)
    try {
      await inFlight.get(station)
      return await fn()
    } finally {
      held.delete(station)
      await info.get(station, true).catch(() => null) // events from now on are dated in the station's current zone
    }
  }

  /** Clears the marks this task consumed, unless a newer event re-marked the day meanwhile. */
  function finish (task: Task): void {
    const days = dirty.get(task.station)
    const done: DirtyDay[] = []
    task.dates.forEach((date, i) => {
      if (days && days.get(date)?.version === task.versions[i]) { days.delete(date); done.push({ station: task.station, date }) }
    })
    if (days && days.size === 0) dirty.delete(task.station)
    if (done.length > 0) persist('clear of dirty marks', () => state.clearDirty(done))
    retryAt.delete(task.station)
  }

  function launch (task: Task, onError: (err: Error) => void): void {
    const p = recompute(task).catch((err: Error) => {
      counts.failures++
      const delay = Math.min(60_000, 5_000 * 2 ** Math.min(4, counts.failures % 5))
      retryAt.set(task.station, now() + delay)
      onError(err)
    }).finally(() => inFlight.delete(task.station))
    inFlight.set(task.station, p)
  }

  function tick (): void {
    for (let task = inFlight.size < concurrency ? nextTask(false) : null; task; task = inFlight.size < concurrency ? nextTask(false) : null) {
      launch(task, (err) => logger.warn({ station: task!.station, from: task!.dates[0], days: task!.dates.length, err: err.message }, 'rollup recompute failed; will retry'))
    }
  }

  /** Recompute everything dirty now, settled or not; rejects on the first failure. */
  async function drain (): Promise<void> {
    let failure: Error | undefined
    await settleLookups()
    while (!failure && (dirty.size > 0 || inFlight.size > 0 || lookups.size > 0)) {
      let task = inFlight.size < concurrency ? nextTask(true) : null
      for (; task; task = inFlight.size < concurrency ? nextTask(true) : null) launch(task, (err) => { failure ??= err })
      if (inFlight.size > 0) await Promise.race(inFlight.values())
      else if (lookups.size > 0) await settleLookups()
      else if (dirty.size > 0) await new Promise((r) => setTimeout(r, 50)) // waiting for a retry
    }
    if (failure) throw failure
  }

  /** Marks from..to (local dates) dirty for the stations: start-up reconciliation and rebuilds. */
  function markRange (stations: readonly string[], from: string, to: string): void {
    for (const station of stations) {
      const dates: string[] = []
      for (let d = from; d <= to; d = addDays(d, 1)) dates.push(d)
      markDates(station, dates)
    }
  }

  return {
    onStored,
    markRange,
    markDates, // one station's local dates in one transaction (rollups/legacy-rollups.ts)
    drain,
    /** Schedules the recompute of stations whose settings changed (also run every settingsPollMs). */
    checkStations: changes.check,
    /** Loads marks a previous run left, marks recent days of every station, starts the worker. */
    async start (startOpts: { reconcileDays?: number } = {}): Promise<void> {
      for (const d of await state.dirty()) markDates(d.station, [d.date])
      const reconcile = startOpts.reconcileDays ?? 2
      // Recent days of every station, with or without events: catches anything stored while
      // the job was not running, and gives quiet days their (zero) rollup.
      const sweep = async (days: number) => {
        for (const s of await info.all()) {
          const today = localDate(now(), s.timezone)
          markRange([s.id], addDays(today, 1 - days), today)
        }
      }
      await sweep(reconcile)
      // Points of an older rollup layout: rewritten, never recomputed (raw events may be gone).
      transcode = transcodeRollups({ state, query, write, logger, exclusive, now })
      const checkStations = () => { changes.check().catch((err: Error) => logger.error({ err: err.message }, 'cannot compare station settings with their rollups')) }
      checkStations() // also catches changes made while the job was not running
      settingsTimer = setInterval(checkStations, opts.settingsPollMs ?? 10_000)
      settingsTimer.unref()
      timer = setInterval(tick, opts.tickMs ?? 1000)
      timer.unref()
      sweeper = setInterval(() => { sweep(2).catch((err: Error) => logger.error({ err: err.message }, 'rollup sweep: cannot list the stations')) }, SWEEP_MS)
      sweeper.unref()
    },
    /** Settles once every mark and clear made so far is in the state (or its failure logged). */
    flushed: async (): Promise<void> => { await settleLookups(); await persisted },
    /** Settles once rollup points of older layouts have been rewritten in the current one (after start()). */
    transcoded: (): Promise<void> => transcode?.done ?? Promise.resolve(),
    pending: () => [...dirty.values()].reduce((n, d) => n + d.size, 0),
    stats: () => ({ ...counts, pendingDays: [...dirty.values()].reduce((n, d) => n + d.size, 0), inFlight: inFlight.size, stationChanges: changes.stats() }),
    async close (): Promise<void> {
      clearInterval(timer)
      clearInterval(sweeper)
      clearInterval(settingsTimer)
      transcode?.cancel()
      await changes.close()
      // In-flight recomputes finish (and may still mark days); nothing new starts.
      await Promise.allSettled([...inFlight.values()])
      await settleLookups()
      closed = true
      await persisted
    }
  }
}

export type RollupJob = ReturnType<typeof createRollupJob>
