// Rollups follow the station settings they are computed with: the time zone (local day and
// hour bounds), the capacity (utilisation, time at capacity) and the opening hours (every
// open-time figure). When an admin changes one of them, the station's rollups of every day
// that can still be rebuilt from raw events are recomputed with the new ones; a rename, an
// address or anything else that no rollup reads changes nothing.
//
// Detection compares each station's settings in the registry with the ones its rollups were
// computed with, kept in rollups.sqlite. Unlike a change feed written by the registry, this
// sees changes from any process (CLI, admin API) the same way, and also those made while the
// job was not running. Cost: one listing of the stations per check (~40 ms at 10,000), skipped
// when the registry's stations version (registry.stations.version(), bumped with every station
// write by any process) is the one the last complete check saw: one small read when idle.
import type { Logger } from '../platform/logger.ts'
import { datesBetween } from './day-bounds.ts'
import type { QueryFn } from './influx-query.ts'
import { rebuildRange, removeRollupsFrom } from './rebuild-range.ts'
import type { RollupState } from './rollup-state.ts'
import type { StationFacts, StationLookup } from './station-info.ts'

/** The station fields rollup values depend on (ComputeContext of rollups/compute-days.ts). */
export const ROLLUP_SETTINGS = ['timezone', 'capacity', 'openingHours'] as const
export type RollupSetting = typeof ROLLUP_SETTINGS[number]
type Settings = Pick<StationFacts, RollupSetting>

/** Fixed key order, so equal settings always encode to the same text. */
const encode = (s: Settings): string => JSON.stringify({ timezone: s.timezone, capacity: s.capacity, openingHours: s.openingHours })

export function changedSettings (before: Settings, after: Settings): RollupSetting[] {
  return ROLLUP_SETTINGS.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
}

export type StationChangeOptions = {
  state: RollupState
  stations: StationLookup
  query: QueryFn
  logger: Logger
  rawRetentionMs: number | null
  now: () => number
  /** Settles once the marks are in the rollup state. */
  markDates: (station: string, dates: readonly string[]) => Promise<void>
  /** Runs fn while no recompute of the station runs or starts (rollup-job.ts). */
  exclusive: <T>(station: string, fn: () => Promise<T>) => Promise<T>
}

export type ScheduledChange = { station: string, fields: RollupSetting[], from: string | null, to: string | null, days: number }

export function createStationChanges (opts: StationChangeOptions) {
  const { state, logger } = opts
  let running: Promise<ScheduledChange[]> | null = null
  let cancelled = false
  const counts = { stations: 0, days: 0 }
  // The stations version the last check that left nothing to retry saw (null: none yet).
  let checkedVersion: number | null = null

  /**
   * Order matters for a crash or a failed request: old points are deleted first, then the days
   * are marked, then the new settings are recorded. Until the last step a later check finds
   * the same change again and redoes every step (each is idempotent).
   */
  async function apply (station: string, before: Settings, after: StationFacts, fields: RollupSetting[]): Promise<ScheduledChange> {
    return opts.exclusive(station, async () => {
      const range = await rebuildRange(opts.query, station, { before: before.timezone, after: after.timezone }, opts.now(), opts.rawRetentionMs)
      const dates = range ? datesBetween(range.from, range.to) : []
      if (range && fields.includes('timezone')) await removeRollupsFrom(opts.query, station, before.timezone, range.from)
      if (dates.length > 0) await opts.markDates(station, dates)
      await state.saveStationSettings([[station, encode(after)]])
      const change = { station, fields, from: range?.from ?? null, to: range?.to ?? null, days: dates.length }
      counts.stations++
      counts.days += dates.length
      logger.info({ ...change, before: pick(before, fields), after: pick(after, fields) }, dates.length > 0
        ? 'station settings changed: its rollups are recomputed with the new ones'
        : 'station settings changed: no rollup within raw retention to recompute')
      return change
    })
  }

  async function run (): Promise<ScheduledChange[]> {
    // Read before the list: a write in between is listed now and seen again next time.
    const version = await opts.stations.version?.() ?? null
    if (version !== null && version === checkedVersion) return []
    const stored = await state.stationSettings()
    const baseline: Array<[string, string]> = []
    const changed: Array<{ station: StationFacts, before: Settings, fields: RollupSetting[] }> = []
    for (const s of await opts.stations.list()) {
      const now = encode(s)
      const was = stored.get(s.id)
      if (was === now) continue
      const before = was === undefined ? null : JSON.parse(was) as Settings
      const fields = before ? changedSettings(before, s) : []
      // A station seen for the first time (new, or the first start of this version): its
      // rollups, if any, were computed with what it has now.
      if (!before || fields.length === 0) baseline.push([s.id, now])
      else changed.push({ station: s, before, fields })
    }
    if (baseline.length > 0) await state.saveStationSettings(baseline)
    const done: ScheduledChange[] = []
    let unfinished = false
    // One station at a time: each may delete and mark a year of days.
    for (const c of changed) {
      if (cancelled) { unfinished = true; break } // shutting down: the next start finds the rest
      try {
        done.push(await apply(c.station.id, c.before, c.station, c.fields))
      } catch (err) {
        unfinished = true // the next check lists again and retries, whatever the version
        logger.warn({ station: c.station.id, fields: c.fields, err: (err as Error).message }, 'station settings changed, but its rollups could not be scheduled for recompute yet; retrying')
      }
    }
    if (!unfinished) checkedVersion = version
    return done
  }

  return {
    /** Compares every station with the settings of its rollups; resolves to what it scheduled. One check at a time. */
    check: (): Promise<ScheduledChange[]> => (running ??= run().finally(() => { running = null })),
    /** Stops after the station being applied (shutdown); settles once the check has. */
    async close (): Promise<void> {
      cancelled = true
      await running?.catch(() => {})
    },
    stats: () => ({ ...counts })
  }
}

function pick (s: Settings, fields: readonly RollupSetting[]): Partial<Settings> {
  return Object.fromEntries(fields.map((f) => [f, s[f]]))
}
