// Which local days of a station a settings change recomputes, and, when its time zone
// changed, removing the rollup points keyed by the old zone's days. Rollup points are keyed
// by series (measurement + station) and timestamp = local midnight (or local hour start) of
// the zone they were computed in; readers pick days by the `ymd` field. After a zone change
// the new points of a date get other timestamps than the old ones, so the old ones must go,
// or a reader would find the date twice. Docs: docs/rollups.md, "When a station changes".
import { ROLLUP_RETENTION_POLICY } from '../platform/influx.ts'
import { addDays, localDate, localMidnightUtc } from '../platform/local-day.ts'
import { dateOfYmd, localDayOf, monthBounds, monthOf } from './day-bounds.ts'
import type { QueryFn } from './influx-query.ts'
import { OCCUPANCY_STALE_MS } from './raw-events.ts'
import { DAY_MEASUREMENT, HOUR_MEASUREMENT, MONTH_MEASUREMENT } from './rollup-codec.ts'

const DAY_MS = 86_400_000
// Local midnights of one date lie at most 26 h apart across zones (UTC−12 … UTC+14).
const ZONE_SPREAD_MS = 26 * 3_600_000
/**
 * A day is recomputed only if its raw events stay kept for another day: the recompute runs
 * minutes (a backlog: longer) after it is scheduled, and the old points of a moved day are
 * deleted up front, so a day that slipped past RAW_RETENTION meanwhile would lose its rollup.
 */
export const REBUILD_MARGIN_MS = DAY_MS

export type DateRange = { from: string, to: string }

/** The first local date in timeZone whose raw events are all kept (plus the margin); null: no limit. */
export function firstRebuildableDate (timeZone: string, now: number, rawRetentionMs: number | null): string | null {
  if (rawRetentionMs === null) return null
  // rawEventsKept(start): start − OCCUPANCY_STALE_MS ≥ now − retention.
  const floor = now - rawRetentionMs + OCCUPANCY_STALE_MS + REBUILD_MARGIN_MS
  const date = localDate(floor, timeZone)
  return localDayOf(date, timeZone).start >= floor ? date : addDays(date, 1)
}

/**
 * Days to recompute after a change of the station's settings: from its earliest day rollup
 * (or the first rebuildable day, if later) to today, both in the new zone; null when none.
 * Days before the earliest rollup have none to correct (readers compute them from raw events).
 */
export async function rebuildRange (query: QueryFn, station: string, zones: { before: string, after: string }, now: number, rawRetentionMs: number | null): Promise<DateRange | null> {
  const floor = firstRebuildableDate(zones.after, now, rawRetentionMs)
  const placeholders: Record<string, string> = { station }
  // The rollup of the floor date in any zone starts at most ZONE_SPREAD_MS before it does here.
  if (floor !== null) placeholders.from = new Date(localDayOf(floor, zones.after).start - ZONE_SPREAD_MS).toISOString()
  const [series = []] = await query([
    `SELECT "ymd" FROM "${ROLLUP_RETENTION_POLICY}"."${DAY_MEASUREMENT}" WHERE "station" = $station${floor !== null ? ' AND time >= $from' : ''} ORDER BY time ASC LIMIT 1`
  ], placeholders)
  const row = series[0]?.values[0]
  if (!row || typeof row[0] !== 'number' || typeof row[1] !== 'number') return null
  // The earliest point's own date (in the zone it was computed in) and the new zone's date at
  // that instant: starting at the earlier one, the new days cover all the old point covered.
  const own = dateOfYmd(row[1])
  const here = localDate(row[0], zones.after)
  let from = own < here ? own : here
  if (floor !== null && floor > from) from = floor
  const to = localDate(now, zones.after)
  return from <= to ? { from, to } : null
}

/**
 * Deletes the station's rollup points computed in `oldZone` for local dates from `from` on:
 * daily and hourly points from that date's old local midnight, the monthly point from the old
 * midnight of its month's 1st (the job rewrites the month). InfluxDB 1.x DELETE takes no
 * retention policy and deletes from all of them: the measurement names are the rollups' own
 * (raw events are `door`, `occupancy`, `environment`), so only rollups go, including
 * points an older version left in the default policy, which nothing reads.
 */
export async function removeRollupsFrom (query: QueryFn, station: string, oldZone: string, from: string): Promise<void> {
  const placeholders = {
    station,
    day: new Date(localDayOf(from, oldZone).start).toISOString(),
    month: localMidnightUtc(monthBounds(monthOf(from)).first, oldZone).toISOString()
  }
  await query([
    `DELETE FROM "${DAY_MEASUREMENT}" WHERE "station" = $station AND time >= $day`,
    `DELETE FROM "${HOUR_MEASUREMENT}" WHERE "station" = $station AND time >= $day`,
    `DELETE FROM "${MONTH_MEASUREMENT}" WHERE "station" = $station AND time >= $month`
  ], placeholders)
}
