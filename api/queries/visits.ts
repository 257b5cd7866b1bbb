// Daily visit figures for one station, read from the `door` measurement that ingest writes.
// The route validates the request; this module turns local calendar days into UTC instants,
// asks InfluxDB once (several statements, one HTTP round trip) and shapes the answer.
import type { InfluxDB } from 'influx'
import { addDays, daysBetween, localDate, localMidnightUtc } from '../../platform/local-day.ts'
import { toStoreError } from '../store-unavailable-error.ts'

export type VisitsQuery = { stationId: string, timeZone: string, from: string, to: string }
export type DayFigures = { date: string, visits: number, uniqueWorkers: number, denied: number }
export type VisitsFigures = { days: DayFigures[], totals: { visits: number, uniqueWorkers: number, denied: number } }

// tz('...') is the one piece of the statement that cannot be a bound parameter. The zone
// comes from the registry, which already restricts it to IANA names; this repeats the shape
// check here, where the string is spliced into InfluxQL, so that the safety of the query
// does not depend on code in another module.
const IANA_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/

export function tzClause (timeZone: string): string {
  if (!IANA_ZONE.test(timeZone)) throw new Error(`refusing time zone ${JSON.stringify(timeZone)} in InfluxQL`)
  return `tz('${timeZone.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}')`
}

/**
 * The InfluxQL statements, in result order. Station and range are bound parameters
 * ($station, $from, $to); the fixed tag values are literals of ours, not user input.
 * A visit is a granted entry; `count("seq")` counts points because every door point has
 * a seq. Per-day buckets: InfluxDB aligns `time(1d)` to local midnight under tz(), DST days
 * included, and `fill(0)` emits every bucket inside the (always bounded) range.
 */
export function visitsStatements (timeZone: string): string[] {
  const range = '"station" = $station AND time >= $from AND time < $to'
  const entered = `${range} AND "direction" = 'in' AND "result" = 'granted'`
  const denied = `${range} AND "result" = 'denied'`
  const perDay = `GROUP BY time(1d) fill(0) ${tzClause(timeZone)}`
  return [
    `SELECT count("seq") AS "visits", count(distinct("worker")) AS "uniqueWorkers" FROM "door" WHERE ${entered} ${perDay}`,
    `SELECT count("seq") AS "denied" FROM "door" WHERE ${denied} ${perDay}`,
    // Distinct workers over the whole range cannot be summed from the days.
    `SELECT count(distinct("worker")) AS "uniqueWorkers" FROM "door" WHERE ${entered}`
  ]
}

type Row = { time: Date, visits?: number | null, uniqueWorkers?: number | null, denied?: number | null }

// Aggregates over no points come back as null in some InfluxDB versions even with fill(0).
const num = (v: number | null | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)

/** Per-day and total figures for local days `from`..`to` (inclusive) in `timeZone`. */
export async function queryVisits (influx: InfluxDB, q: VisitsQuery): Promise<VisitsFigures> {
  const dayCount = daysBetween(q.from, q.to) + 1
  if (dayCount < 1) throw new RangeError(`empty range ${q.from}..${q.to}`)
  const start = localMidnightUtc(q.from, q.timeZone)
  const end = localMidnightUtc(addDays(q.to, 1), q.timeZone)

  let results: Row[][]
  try {
    results = await influx.query<Row>(visitsStatements(q.timeZone), {
      placeholders: { station: q.stationId, from: start.toISOString(), to: end.toISOString() },
      precision: 'ms' // epoch milliseconds: no date-string parsing on our side
    })
  } catch (err) {
    throw toStoreError(err)
  }
  const [entered = [], denied = [], total = []] = results

  const days = new Map<string, DayFigures>()
  for (let i = 0; i < dayCount; i++) {
    const date = addDays(q.from, i)
    days.set(date, { date, visits: 0, uniqueWorkers: 0, denied: 0 })
  }
  // Buckets are matched by the local date of their start, not by position: that is what
  // makes a 23 h or 25 h day land on the right row. Clamping to the range start keeps the
  // first bucket on `from` even if InfluxDB's zone data put its start a little earlier.
  const dayOf = (row: Row) => days.get(localDate(Math.max(row.time.getTime(), start.getTime()), q.timeZone))
  for (const row of entered) {
    const day = dayOf(row)
    if (day) { day.visits += num(row.visits); day.uniqueWorkers += num(row.uniqueWorkers) }
  }
  for (const row of denied) {
    const day = dayOf(row)
    if (day) day.denied += num(row.denied)
  }

  const list = [...days.values()]
  return {
    days: list,
    totals: {
      visits: list.reduce((s, d) => s + d.visits, 0),
      uniqueWorkers: num(total[0]?.uniqueWorkers),
      denied: list.reduce((s, d) => s + d.denied, 0)
    }
  }
}
