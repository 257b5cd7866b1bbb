// Time zone and capacity of stations for the rollup job, cached: the stored-event listener
// runs for every message and must not hit SQLite or Intl each time. The local date of an
// event is found from the cached bounds of the station's current day; only events on other
// days ask Intl.
import { localDate } from '../platform/local-day.ts'
import { localDayOf } from './day-bounds.ts'
import type { OpeningHours } from './opening-hours.ts'

export type StationFacts = { id: string, timezone: string, capacity: number, openingHours: OpeningHours }
export type StationLookup = { get: (id: string) => StationFacts | null, list: () => StationFacts[] }

type Cached = StationFacts & { fetchedAt: number, day: { date: string, start: number, end: number } | null, dateOf: (t: number) => string }

const TTL_MS = 60_000

export function createStationInfo (lookup: StationLookup) {
  const cache = new Map<string, Cached>()

  function wrap (s: StationFacts): Cached {
    const c: Cached = {
      ...s,
      fetchedAt: Date.now(),
      day: null,
      dateOf (t: number) {
        if (c.day && t >= c.day.start && t < c.day.end) return c.day.date
        const date = localDate(t, c.timezone)
        const d = localDayOf(date, c.timezone)
        c.day = { date, start: d.start, end: d.end }
        return date
      }
    }
    return c
  }

  return {
    /** `fresh`: re-read the registry (capacity or zone may have changed). */
    get (id: string, fresh = false): Cached | null {
      const hit = cache.get(id)
      if (hit && !fresh && Date.now() - hit.fetchedAt < TTL_MS) return hit
      const s = lookup.get(id)
      if (!s) { cache.delete(id); return null }
      if (hit && hit.timezone === s.timezone) {
        Object.assign(hit, { capacity: s.capacity, openingHours: s.openingHours, fetchedAt: Date.now() })
        return hit
      }
      const c = wrap(s)
      cache.set(id, c)
      return c
    },
    all: (): StationFacts[] => lookup.list()
  }
}

/** A registry as a StationLookup. */
export function registryLookup (registry: { getStation: (id: string) => StationFacts | null, listStations: () => StationFacts[] }): StationLookup {
  return { get: (id) => registry.getStation(id), list: () => registry.listStations() }
}
