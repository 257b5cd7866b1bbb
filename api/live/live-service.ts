// The live view as one object: the store (state), the hub (event log and subscribers), the
// rebuild from InfluxDB and the options of the stream. Whoever feeds it stored events (ingest's
// hook in the combined process, the broker feed in an API-only one: start-live.ts) calls
// `onStored`; the routes (routes.ts) read it.
import type { Registry as MetricsRegistry } from 'prom-client'
import type { Logger } from '../../platform/logger.ts'
import type { QueryFn } from '../../rollups/influx-query.ts'
import { createLiveHub } from './live-hub.ts'
import { createLiveMetrics, type LiveMetrics } from './live-metrics.ts'
import { createLiveStore, type LiveRegistry } from './live-store.ts'
import { createLiveSupplies, type LiveSupplies, type LiveSuppliesOptions } from './live-supplies.ts'
import { rebuildLive, type RebuildResult } from './rebuild.ts'

export type StreamOptions = {
  /** Comment line interval on open streams (default 15 s). */
  heartbeatMs: number
  /** The `retry:` hint: how long a disconnected EventSource waits before reconnecting. */
  retryMs: number
  /** A client's unsent bytes past which it is skipped until it drains, then re-sent a snapshot. */
  maxBufferedBytes: number
}

export type LiveServiceOptions = {
  registry: LiveRegistry
  query: QueryFn
  logger: Logger
  offlineAfterSeconds: number
  metrics?: MetricsRegistry
  flushMs?: number
  pollMs?: number
  ringSize?: number
  lookbackMs?: number
  stream?: Partial<StreamOptions>
}

const REBUILD_RETRY_MS = [2_000, 5_000, 15_000, 60_000]
// A station's zone changed: rebuild once the burst of edits (a CSV import) is over.
const ZONE_REBUILD_DELAY_MS = 1_000

export function createLiveService (opts: LiveServiceOptions) {
  const logger = opts.logger.child({ component: 'live' })
  const hub = createLiveHub(opts.ringSize === undefined ? {} : { ringSize: opts.ringSize })
  let zoneTimer: NodeJS.Timeout | null = null
  let retryTimer: NodeJS.Timeout | null = null
  let closed = false
  const store = createLiveStore({
    registry: opts.registry,
    offlineAfterMs: opts.offlineAfterSeconds * 1000,
    ...(opts.flushMs === undefined ? {} : { flushMs: opts.flushMs }),
    ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }),
    onChange: (view) => hub.publish(view),
    onZoneChange: () => {
      zoneTimer ??= setTimeout(() => { zoneTimer = null; void rebuild().catch(() => {}) }, ZONE_REBUILD_DELAY_MS)
    }
  })
  const metrics: LiveMetrics | null = opts.metrics ? createLiveMetrics(opts.metrics) : null
  const stream: StreamOptions = { heartbeatMs: 15_000, retryMs: 3_000, maxBufferedBytes: 1024 * 1024, ...opts.stream }
  let rebuilt = false
  let supplies: LiveSupplies | null = null

  /** Merges InfluxDB's state in; `routine` (a periodic re-read) logs at debug. */
  async function rebuild (routine = false): Promise<RebuildResult> {
    try {
      await store.ready.catch(() => {}) // the stations to fill in (a failed first read: retried by the poll)
      const result = await rebuildLive({ store, query: opts.query, ...(opts.lookbackMs === undefined ? {} : { lookbackMs: opts.lookbackMs }) })
      rebuilt = true
      logger[routine ? 'debug' : 'info'](result, 'live state rebuilt from InfluxDB')
      return result
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'cannot rebuild the live state from InfluxDB')
      throw err
    }
  }

  /**
   * The first rebuild. Resolves after the first attempt either way: an API whose InfluxDB is
   * down still starts (its live view fills from new events), and retries in the background.
   */
  async function start (): Promise<boolean> {
    store.ready.catch((err: Error) => logger.warn({ err: err.message }, 'cannot read the registry for the live view yet; retried every poll'))
    const attempt = async (n: number): Promise<boolean> => {
      try {
        await rebuild()
        return true
      } catch {
        if (closed) return false
        const delay = REBUILD_RETRY_MS[Math.min(n, REBUILD_RETRY_MS.length - 1)]!
        retryTimer = setTimeout(() => { retryTimer = null; if (!closed) void attempt(n + 1) }, delay)
        retryTimer.unref()
        return false
      }
    }
    return attempt(0)
  }

  return {
    store,
    hub,
    metrics,
    stream,
    logger,
    /** The stored-events hook (ingest/create-ingest.ts StoredListener). */
    onStored (stationId: string, event: Parameters<typeof store.onStored>[1]): void {
      store.onStored(stationId, event)
      if (event.channel === 'supply') supplies?.mark(stationId)
    },
    /** Adds supply levels and forecasts (buildApp, which owns the supply model); first refresh in the background. */
    attachSupplies (model: LiveSuppliesOptions['model'], options: Omit<LiveSuppliesOptions, 'store' | 'model'> = {}): LiveSupplies {
      supplies?.close()
      supplies = createLiveSupplies({ store, model, onError: (err) => logger.warn({ err: err.message }, 'cannot refresh supply forecasts'), ...options })
      void supplies.refreshNow()
      return supplies
    },
    get supplies () { return supplies },
    rebuild,
    start,
    /** True once a rebuild from InfluxDB has succeeded. */
    get rebuilt () { return rebuilt },
    close (): void {
      closed = true
      supplies?.close()
      store.close()
      if (zoneTimer !== null) clearTimeout(zoneTimer)
      if (retryTimer !== null) clearTimeout(retryTimer)
    }
  }
}

export type LiveService = ReturnType<typeof createLiveService>
