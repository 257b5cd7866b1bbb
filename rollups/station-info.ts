// Time zone and capacity of stations for the rollup job, cached: the stored-event listener
// runs for every message and must not hit SQLite or Intl each time. The local date of an
// event is found from the cached bounds of the station's current day; only events on other
// days ask Intl.
import { localDate } from '../platform/local-day.ts'
import { localDayOf } from './day-bounds.ts'
import type { OpeningHours } from './opening-hours.ts'

export type StationFacts = { id: string, timezone: string, capacity: number, openingHours: OpeningHours }
export type StationLookup = {
  get: (id: string) => Promise<StationFacts | null>
  list: () => Promise<StationFacts[]>
  /** Moves with every station write (registry.stations.version()); absent: every check lists. */
  version?: () => Promise<number>
}

type Cached = StationFacts & { fetchedAt: number, day: { date: string, start: number, end: number } | null, dateOf: (t: number) => string }

const TTL_MS = 60_000

export function createStationInfo (lookup: StationLookup) {
  const cache = new Map<string, Cached>()
  // One registry read per station at a time: a burst of events of a station not cached yet
  // (registered since the last listing) waits for the same answer.
  const loading = new Map<string, Promise<Cached | null>>()

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

  function put (s: StationFacts): Cached {
    const hit = cache.get(s.id)
    if (hit && hit.timezone === s.timezone) {
      Object.assign(hit, { capacity: s.capacity, openingHours: s.openingHours, fetchedAt: Date.now() })
      return hit
    }
    const c = wrap(s)
    cache.set(s.id, c)
    return c
  }

  async function read (id: string): Promise<Cached | null> {
    const s = await lookup.get(id)
    if (!s) { cache.delete(id); return null }
    return put(s)
  }

  function load (id: string): Promise<Cached | null> {
    let p = loading.get(id)
    if (!p) {
      p = read(id).finally(() => loading.delete(id))
      loading.set(id, p)
    }
    return p
  }

  return {
    /** `fresh`: re-read the registry (capacity or zone may have changed). */
    async get (id: string, fresh = false): Promise<Cached | null> {
      if (fresh) return read(id)
      const hit = cache.get(id)
      if (hit && Date.now() - hit.fetchedAt < TTL_MS) return hit
      return load(id)
    },
    /**
     * The per-event path, synchronous: the cached facts, or undefined when the station is not
     * cached (get() it). An entry past its TTL is still answered and re-read in the background,
     * once per TTL even while the registry fails.
     */
    peek (id: string): Cached | undefined {
      const hit = cache.get(id)
      if (hit && Date.now() - hit.fetchedAt >= TTL_MS) {
        hit.fetchedAt = Date.now()
        load(id).catch(() => {}) // the cached facts serve until the next try
      }
      return hit
    },
    /** Every station, read now; the cache is refreshed with them. */
    async all (): Promise<StationFacts[]> {
      const list = await lookup.list()
      for (const s of list) put(s)
      return list
    }
  }
}

/** What registryLookup needs of a registry (stations.version: a registry of this release has it). */
export type StationRegistry = {
  getStation: (id: string) => Promise<StationFacts | null>
  listStations: () => Promise<StationFacts[]>
  stations?: { version: () => Promise<number> }
}

/** A registry as a StationLookup. */
export function registryLookup (registry: StationRegistry): StationLookup {
  const stations = registry.stations
  return {
    get: (id) => registry.getStation(id),
    list: () => registry.listStations(),
    ...(stations ? { version: () => stations.version() } : {})
  }
}
