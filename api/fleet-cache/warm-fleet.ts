// Warming the fleet cache: the last complete month's default answers (every station, as an
// admin sees them: the summary ranked by visits, the report as JSON, CSV and XLSX in the
// default language, with their compressed forms) computed in the background after start and
// after each change of that month's rollups or of the stations, so that the first request
// after a change is not the one that waits a minute. One answer at a time, and only while no
// other warm-up runs: requests keep their share of the CPU.
import type { Logger } from '../../platform/logger.ts'
import { addDays, localDate } from '../../platform/local-day.ts'
import { monthBounds, monthOf } from '../../rollups/day-bounds.ts'
import type { StationScope } from '../../registry/schemas.ts'
import { DEFAULT_LANG } from '../reports/labels/index.ts'
import type { ReportFormat } from '../reports/negotiate.ts'
import type { FleetCache } from './fleet-cache.ts'
import type { Encoding } from './send-cached.ts'

const ALL: StationScope = { kind: 'all' }

export type FleetWarmerOptions = { cache: FleetCache, logger: Logger, intervalMs?: number, now?: () => number }

/** The latest month that is over in every one of the stations' zones (null without stations). */
export function lastCompleteMonth (zones: readonly string[], now: number): string | null {
  if (zones.length === 0) return null
  const earliest = zones.map((tz) => localDate(now, tz)).sort()[0]!
  return monthOf(addDays(monthBounds(monthOf(earliest)).first, -1))
}

export function startFleetWarmer (opts: FleetWarmerOptions) {
  const { cache, logger } = opts
  const now = opts.now ?? Date.now
  let running: Promise<void> | null = null
  let tried: string | null = null
  let stopped = false

  async function warm (month: string): Promise<number> {
    const { first, last } = monthBounds(month)
    const answers: Array<() => Promise<unknown>> = []
    for (const encoding of ['identity', 'br', 'gzip'] as Encoding[]) {
      answers.push(() => cache.summary({ from: first, to: last, sort: 'visits' }, ALL, encoding))
      for (const format of ['json', 'csv', 'xlsx'] as ReportFormat[]) {
        if (format === 'xlsx' && encoding !== 'identity') continue
        answers.push(() => cache.report(month, {}, ALL, format, DEFAULT_LANG, encoding))
      }
    }
    let misses = 0
    for (const answer of answers) {
      if (stopped) break
      const r = await answer() as { outcome: string } | null
      if (r === null) break // not cacheable now (dirty days, not over): the next round tries again
      if (r.outcome === 'miss') misses++
    }
    return misses
  }

  function round (): void {
    if (running || stopped) return
    const t0 = performance.now()
    let month: string | null = null
    // The cache's station list: listed again only when the registry changed.
    running = cache.zones().then(async (zones) => {
      month = lastCompleteMonth(zones, now())
      if (month === null) return 0
      // Once per state of the month: answers that are not kept (some days still computed from
      // raw events) would otherwise be computed again every round, for nothing.
      const validity = await cache.validity(month)
      if (validity === null || `${month}|${validity}` === tried) return 0
      tried = `${month}|${validity}`
      return await warm(month)
    }).then((misses) => {
      if (misses > 0) logger.info({ month, answers: misses, ms: Math.round(performance.now() - t0), cache: cache.stats() }, 'fleet cache warmed')
    }, (err: Error) => { tried = null; logger.warn({ month, err: err.message }, 'fleet cache warm-up failed; next round retries') }).finally(() => { running = null })
  }

  // The first round soon after start, then a cheap check per interval (a few statements when warm).
  const first = setTimeout(round, 1_000)
  const timer = setInterval(round, opts.intervalMs ?? 30_000)
  first.unref()
  timer.unref()
  return {
    /** Runs a round now (tests) and settles when it is done. */
    async runOnce (): Promise<void> { round(); await running },
    async stop (): Promise<void> {
      stopped = true
      clearTimeout(first)
      clearInterval(timer)
      await running?.catch(() => {})
    }
  }
}
