// Supplies in the live state: each station's catalog items with their threshold state and
// forecast time to empty, from the supply model (supplies/supply-model.ts). The model reads
// InfluxDB, so it is never asked on the ingest hot path: a supply reading, a logged restock or
// a hand count marks the station, and the marked stations are refreshed together at most
// `debounceMs` later; every `periodMs` all stations are refreshed (time passing moves the
// forecast). A refresh that fails (InfluxDB down) keeps the previous forecast and is retried
// with the next mark or period.
import type { SupplyModel } from '../../supplies/supply-model.ts'
import type { LiveStore } from './live-store.ts'
import type { SupplyForecastRec } from './station-state.ts'

export type LiveSuppliesOptions = {
  store: LiveStore
  model: Pick<SupplyModel, 'refresh' | 'forecastStationItems'>
  /** A station's catalog, for the items' names. */
  catalog?: (stationId: string) => Promise<ReadonlyArray<{ item: string, nameZh: string, nameEn: string }>>
  now?: () => number
  /** How far ahead the forecast looks (hours). */
  horizonHours?: number
  debounceMs?: number
  periodMs?: number
  onError?: (err: Error) => void
}

const HORIZON_HOURS = 7 * 24

export function createLiveSupplies (opts: LiveSuppliesOptions) {
  const now = opts.now ?? Date.now
  const horizon = opts.horizonHours ?? HORIZON_HOURS
  const marked = new Set<string>()
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> = Promise.resolve()
  let closed = false

  async function refresh (stationIds: readonly string[]): Promise<void> {
    if (stationIds.length === 0) return
    const t = now()
    await opts.model.refresh(stationIds, t)
    // A station registered since the store's last registry poll (a count right after it was
    // added): read the registry now, or its forecast would have no record to go to.
    if (stationIds.some((id) => opts.store.get(id) === undefined)) await opts.store.sync()
    const byStation = new Map<string, Map<string, SupplyForecastRec>>(stationIds.map((id) => [id, new Map()]))
    // Levels with restocks logged after the shelf sensor's last reading, per station and item.
    const pending = new Map<string, Map<string, { readingAt: number, level: number }>>()
    const names = new Map<string, { nameZh: string, nameEn: string }>()
    for (const id of stationIds) for (const c of await opts.catalog?.(id) ?? []) names.set(`${id}\u0000${c.item}`, c)
    for (const f of await opts.model.forecastStationItems(stationIds, horizon, t)) {
      const name = names.get(`${f.stationId}\u0000${f.item}`)
      byStation.get(f.stationId)?.set(f.item, {
        nameZh: name?.nameZh ?? null, nameEn: name?.nameEn ?? null,
        levelSource: f.levelSource, readingAt: f.lastReadingAt === null ? null : Date.parse(f.lastReadingAt),
        level: f.level, capacity: f.capacity, threshold: f.threshold, computedAt: t,
        timeToEmptyHours: f.timeToEmptyHours, emptyAt: f.emptyAt, band: f.band, pendingRestock: f.pendingRestock
      })
      if (f.levelSource === 'sensor' && f.pendingRestock > 0 && f.level !== null && f.lastReadingAt !== null) {
        const m = pending.get(f.stationId) ?? new Map<string, { readingAt: number, level: number }>()
        m.set(f.item, { readingAt: Date.parse(f.lastReadingAt), level: f.level })
        pending.set(f.stationId, m)
      }
    }
    for (const [id, items] of byStation) {
      opts.store.update(id, (s) => {
        s.supplyForecast = items
        // The live level of a sensor item is its last reading: a restock logged since shows at
        // once, on the record of that same reading (a newer reading, which holds the restock
        // or not, replaces it; never both).
        for (const [item, p] of pending.get(id) ?? []) {
          const r = s.supplies.get(item)
          if (r !== undefined && r.at === p.readingAt) s.supplies.set(item, { ...r, quantity: p.level })
        }
        return true
      })
    }
  }

  function run (ids: readonly string[]): Promise<void> {
    running = running.then(() => refresh(ids)).catch((err: Error) => opts.onError?.(err))
    return running
  }

  function flushMarked (): Promise<void> {
    timer = null
    const ids = [...marked]
    marked.clear()
    return run(ids)
  }

  const periodic = setInterval(() => { void run([...opts.store.records()].map((s) => s.meta.id)) }, opts.periodMs ?? 5 * 60_000)
  periodic.unref()

  return {
    /** A supply reading, restock or count for the station: refresh it soon. */
    mark (stationId: string): void {
      if (closed) return
      marked.add(stationId)
      timer ??= setTimeout(() => { void flushMarked() }, opts.debounceMs ?? 1_000)
    },
    /** Refreshes these stations (default: all) now; resolves when done. */
    refreshNow: (ids?: readonly string[]): Promise<void> => run(ids ?? [...opts.store.records()].map((s) => s.meta.id)),
    close (): void {
      closed = true
      clearInterval(periodic)
      if (timer !== null) clearTimeout(timer)
    }
  }
}

export type LiveSupplies = ReturnType<typeof createLiveSupplies>
