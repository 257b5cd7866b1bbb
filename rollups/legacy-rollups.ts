// Upgrade from the layout before the `rollups` retention policy. Older versions wrote rollup
// points to the database's default policy, next to raw events; readers now look only in
// "rollups". So on the first start of a job with this layout, every station-day that had a
// rollup in the default policy is marked dirty and the job recomputes it from raw events into
// "rollups". Days whose raw events are already past RAW_RETENTION cannot be rebuilt: the job
// skips them with a warning (docs/rollups.md, "Upgrading"). The old points are left where
// they are: nothing reads them, and they expire with the raw events.
import { ROLLUP_RETENTION_POLICY } from '../platform/influx.ts'
import type { Logger } from '../platform/logger.ts'
import { dateOfYmd } from './day-bounds.ts'
import type { QueryFn } from './influx-query.ts'
import { DAY_MEASUREMENT } from './rollup-codec.ts'
import type { RollupState } from './rollup-state.ts'

/** meta key of the state file: the policy its rollups have been rebuilt into. */
export const LAYOUT_KEY = 'rollup_policy'
const RETRY_MS = 30_000

type MarkDates = (station: string, dates: readonly string[]) => Promise<void> | void

/** Station-days with a rollup in the default policy; marks them and returns how many. */
export async function markLegacyRollups (query: QueryFn, markDates: MarkDates): Promise<number> {
  // No policy named: the database's default one, where older versions wrote.
  const [series = []] = await query([`SELECT "ymd" FROM "${DAY_MEASUREMENT}" GROUP BY "station"`], {})
  let marked = 0
  for (const s of series) {
    const station = s.tags?.station
    const ymd = s.columns.indexOf('ymd')
    if (!station || ymd < 0) continue
    const dates = [...new Set(s.values.map((v) => Number(v[ymd])).filter(Number.isInteger).map(dateOfYmd))].sort()
    if (dates.length === 0) continue
    await markDates(station, dates)
    marked += dates.length
  }
  return marked
}

/**
 * Runs markLegacyRollups once per state file (the layout key is written after the marks, so a
 * crash in between only marks again), retrying while InfluxDB cannot answer.
 */
export function upgradeLegacyRollups (opts: { state: RollupState, query: QueryFn, markDates: MarkDates, logger: Logger }): { done: Promise<void>, cancel: () => void } {
  const { state, logger } = opts
  let cancelled = false
  let timer: NodeJS.Timeout | undefined
  let settle = () => {}
  const done = new Promise<void>((resolve) => {
    settle = resolve
    const attempt = async () => {
      try {
        if (cancelled || await state.meta(LAYOUT_KEY) === ROLLUP_RETENTION_POLICY) return resolve()
        // The query may outlive a shutdown: mark only while the job is still open.
        const marked = await markLegacyRollups(opts.query, async (station, dates) => { if (!cancelled) await opts.markDates(station, dates) })
        if (cancelled) return resolve()
        await state.setMeta(LAYOUT_KEY, ROLLUP_RETENTION_POLICY)
        if (marked > 0) logger.info({ stationDays: marked }, `rollups of an older version found in the default retention policy: recomputing them into "${ROLLUP_RETENTION_POLICY}"`)
        resolve()
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'could not look for rollups of an older version yet; retrying')
        timer = setTimeout(() => { void attempt() }, RETRY_MS)
        timer.unref()
      }
    }
    void attempt()
  })
  return { done, cancel: () => { cancelled = true; clearTimeout(timer); settle() } }
}
