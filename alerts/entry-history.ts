// What the silent-door rule (8) knows about a station's usual traffic: granted door entries per
// UTC hour, learnt from stored events and kept in the registry (alert_hourly_entries), so a
// restart keeps four weeks of learning. In memory, per station, a ring of the last 5 weeks of
// hourly counts (840 × 2 bytes): the expectation for any hour of the last week is the mean of
// the same hour in the 4 weeks before it (same UTC hour of week: China has no daylight saving;
// elsewhere the shift weeks are off by an hour).

export const HOUR_MS = 3_600_000
export const WEEK_H = 168
const WEEKS = 4
// Hours kept: the 4 weeks behind an hour up to one week back.
export const RING_H = (WEEKS + 1) * WEEK_H
// An hour needs this many weeks of learning behind it before it says anything.
export const MIN_WEEKS = 2
// Longest silent stretch looked at (the ring covers 4 weeks behind hours up to one week back).
const MAX_STRETCH_H = WEEK_H - 1

export type EntryHistoryStore = {
  addHourlyEntries: (rows: Array<{ stationId: string, hour: number, entries: number }>) => Promise<void>
  hourlyEntriesSince: (hour: number) => Promise<Array<{ station_id: string, hour: number, entries: number }>>
  pruneHourlyEntries: (beforeHour: number) => Promise<void>
}

type Learnt = { ring: Uint16Array, firstHour: number }

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS)

export function createEntryHistory (store: EntryHistoryStore) {
  const stations = new Map<string, Learnt>()
  let ringHour = 0 // the newest hour the rings hold

  function learnt (id: string, hour: number): Learnt {
    let l = stations.get(id)
    if (l === undefined) stations.set(id, l = { ring: new Uint16Array(RING_H), firstHour: hour })
    return l
  }

  /** Moves the rings on to `hour`, zeroing the hours that enter (they held data 5 weeks old). */
  function advance (hour: number): void {
    if (hour <= ringHour) return
    const from = Math.max(ringHour + 1, hour - RING_H + 1)
    for (const l of stations.values()) for (let h = from; h <= hour; h++) l.ring[h % RING_H] = 0
    ringHour = hour
  }

  function add (l: Learnt, hour: number, n: number): void {
    const i = hour % RING_H
    l.ring[i] = Math.min(65_535, l.ring[i]! + n)
    if (hour < l.firstHour) l.firstHour = hour
  }

  /** Mean entries of hour `x` over the weeks learnt before it; null with fewer than MIN_WEEKS. */
  function mean (l: Learnt, x: number): number | null {
    let sum = 0
    let weeks = 0
    for (let k = 1; k <= WEEKS; k++) {
      const h = x - k * WEEK_H
      if (h < l.firstHour) break
      sum += l.ring[h % RING_H]!
      weeks++
    }
    return weeks < MIN_WEEKS ? null : sum / weeks
  }

  return {
    /** Reads the last 5 weeks from the registry (at start). */
    async load (now: number): Promise<void> {
      const rows = await store.hourlyEntriesSince(hourOf(now) - RING_H + 1)
      stations.clear()
      ringHour = hourOf(now)
      for (const r of rows) add(learnt(r.station_id, r.hour), r.hour, r.entries)
    },

    /** Records counted entries of `hour` (registry first, then memory) and forgets what is older than 5 weeks. */
    async record (rows: Array<{ stationId: string, hour: number, entries: number }>, now: number): Promise<void> {
      const hour = hourOf(now)
      if (rows.length > 0) await store.addHourlyEntries(rows)
      if (hour > ringHour) await store.pruneHourlyEntries(hour - RING_H + 1)
      // Memory after the statements (a failed one throws before this).
      if (hour > ringHour) advance(hour)
      for (const r of rows) if (r.hour > ringHour - RING_H) add(learnt(r.stationId, r.hour), r.hour, r.entries)
    },

    /**
     * Entries expected at a station between `since` and `now` (ms), from the same hours of the
     * 4 weeks before; null when no hour of the stretch has MIN_WEEKS of learning.
     */
    expected (stationId: string, since: number, now: number): number | null {
      const l = stations.get(stationId)
      if (l === undefined || now <= since) return null
      const last = hourOf(now)
      const first = Math.max(hourOf(since), last - MAX_STRETCH_H)
      let total = 0
      let known = false
      for (let x = first; x <= last; x++) {
        const m = mean(l, x)
        if (m === null) continue
        known = true
        const start = Math.max(since, x * HOUR_MS)
        const end = Math.min(now, (x + 1) * HOUR_MS)
        total += m * (end - start) / HOUR_MS
      }
      return known ? total : null
    },

    /** Entries expected per hour during the hour of `now` (what `expected` grows by); null: unknown. */
    rate (stationId: string, now: number): number | null {
      const l = stations.get(stationId)
      return l === undefined ? null : mean(l, hourOf(now))
    },

    stationCount: () => stations.size
  }
}

export type EntryHistory = ReturnType<typeof createEntryHistory>
