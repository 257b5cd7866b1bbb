// The supply model kept in memory: per station, the last HISTORY_DAYS of shelf readings and
// hourly visits (granted entries), loaded once and then topped up incrementally (a refresh
// reads only what came since the previous one, with an overlap for late uploads), the rates
// learnt from them (supplies/consumption-model.ts), and the sensor jumps recorded as restocks.
// A forecast is arithmetic on this state (supplies/forecast.ts): no InfluxDB query per request.
import type { Registry } from '../registry/open-registry.ts'
import { stationFilter, type QueryFn } from '../rollups/influx-query.ts'
import { learnFromCounts, learnFromReadings, poolRates, visitProfile, type ItemRates, type Reading, type VisitProfile } from './consumption-model.ts'
import { forecastItem } from './forecast.ts'
import { floorHour, HOUR_MS } from './hour-of-week.ts'
import { RESTOCK_MATCH_MS, type SupplyAdmin } from './supply-admin.ts'
import type { ItemForecast, WeatherDay, WeatherDriver } from './schemas.ts'
import { weatherFactor } from './weather-factor.ts'

export const HISTORY_DAYS = 14
/** Re-read this much before the previous refresh: late uploads of buffered readings. */
const OVERLAP_MS = 6 * HOUR_MS
/** A sensor reading younger than this is the level now (sensors report at least hourly). */
const SENSOR_FRESH_MS = 2 * HOUR_MS
/** Stations per InfluxDB round trip. */
const BATCH = 25

type StationState = {
  loadedTo: number | null
  readings: Map<string, Reading[]>
  visits: Map<number, number>
  profile: VisitProfile
  rates: Map<string, ItemRates>
}

export type SupplyModelOptions = { registry: Registry, admin: SupplyAdmin, query: QueryFn, historyDays?: number }

export function createSupplyModel ({ registry, admin, query, historyDays = HISTORY_DAYS }: SupplyModelOptions) {
  const states = new Map<string, StationState>()
  const refreshedAt = new Map<string, number>()
  const historyMs = historyDays * 24 * HOUR_MS

  async function load (ids: string[], now: number): Promise<void> {
    const from = Math.min(...ids.map((id) => states.get(id)?.loadedTo ?? -Infinity).map((t) => (t === -Infinity ? now - historyMs : t - OVERLAP_MS)))
    const start = floorHour(Math.max(from, now - historyMs))
    const placeholders: Record<string, string | number> = { from: new Date(start).toISOString(), to: new Date(now + 1).toISOString(), hourTo: new Date(floorHour(now)).toISOString() }
    const where = stationFilter(ids, placeholders)
    const [supply, door] = await query([
      `SELECT "quantity", "capacity" FROM "supply" WHERE ${where} AND time >= $from AND time < $to GROUP BY "station", "item"`,
      // Complete hours only: the current hour's count so far would pull its hour of week down.
      `SELECT count("seq") AS "n" FROM "door" WHERE ${where} AND "direction" = 'in' AND "result" = 'granted' AND time >= $from AND time < $hourTo GROUP BY time(1h), "station" fill(0)`
    ], placeholders)
    for (const id of ids) {
      const st = states.get(id) ?? { loadedTo: null, readings: new Map(), visits: new Map(), profile: visitProfile(new Map(), 'UTC'), rates: new Map() }
      for (const list of st.readings.values()) while (list.length > 0 && list.at(-1)!.t >= start) list.pop()
      for (const h of [...st.visits.keys()]) if (h >= start || h < now - historyMs) st.visits.delete(h)
      st.loadedTo = now
      states.set(id, st)
    }
    for (const s of supply ?? []) {
      const st = states.get(s.tags?.station ?? '')
      const item = s.tags?.item
      if (!st || !item) continue
      const [t, q, c] = ['time', 'quantity', 'capacity'].map((n) => s.columns.indexOf(n))
      const list = st.readings.get(item) ?? []
      for (const v of s.values) list.push({ t: v[t!] as number, quantity: v[q!] as number, capacity: (v[c!] as number | null) ?? null })
      st.readings.set(item, list)
    }
    for (const s of door ?? []) {
      const st = states.get(s.tags?.station ?? '')
      if (!st) continue
      const [t, n] = ['time', 'n'].map((x) => s.columns.indexOf(x))
      for (const v of s.values) st.visits.set(v[t!] as number, (v[n!] as number | null) ?? 0)
    }
  }

  async function learn (id: string, now: number): Promise<void> {
    const st = states.get(id)
    const station = st ? await registry.getStation(id) : null
    if (!st || !station) return
    const tz = station.timezone
    // Keep one reading before the window as the level the window starts from.
    for (const list of st.readings.values()) {
      const firstIn = list.findIndex((r) => r.t >= now - historyMs)
      if (firstIn > 1) list.splice(0, firstIn - 1)
    }
    st.profile = visitProfile(st.visits, tz)
    st.rates.clear()
    for (const [item, list] of st.readings) {
      const { rates, jumps } = learnFromReadings(list, st.visits, tz)
      st.rates.set(item, rates)
      for (const j of jumps) await admin.recordSensorRestock(id, item, j.quantity, new Date(j.t).toISOString())
    }
    const since = new Date(now - historyMs).toISOString()
    const until = new Date(now + 1).toISOString()
    const counts = await registry.supplies.counts(id, since, until)
    const restocks = (await registry.supplies.restocksBetween(id, since, until)).filter((r) => r.supersededBy === null)
    for (const item of new Set(counts.map((c) => c.item))) {
      if (st.readings.has(item)) continue
      const marks = counts.filter((c) => c.item === item).map((c) => ({ t: Date.parse(c.at), quantity: c.quantity, capacity: null }))
      st.rates.set(item, learnFromCounts(marks, restocks.filter((r) => r.item === item).map((r) => ({ t: Date.parse(r.at), quantity: r.quantity })), st.visits, tz))
    }
  }

  return {
    /** Reads what is new since the last refresh for these stations (default: all) and relearns. */
    async refresh (stationIds?: readonly string[], now = Date.now()): Promise<void> {
      const ids = [...(stationIds ?? (await registry.listStations()).map((s) => s.id))]
      for (let i = 0; i < ids.length; i += BATCH) {
        const batch = ids.slice(i, i + BATCH)
        await load(batch, now)
        for (const id of batch) {
          await learn(id, now)
          refreshedAt.set(id, now)
        }
      }
    },

    /** Refreshes the stations last refreshed more than maxAgeMs before `now` (or never). */
    async refreshStale (stationIds: readonly string[], maxAgeMs: number, now = Date.now()): Promise<void> {
      const stale = stationIds.filter((id) => { const t = refreshedAt.get(id); return t === undefined || now - t > maxAgeMs || now < t })
      if (stale.length > 0) await this.refresh(stale, now)
    },

    /** Whether the model holds anything for the station (refreshed at least once). */
    has: (id: string) => states.has(id),

    /**
     * Each catalog item (and each item a sensor reports) of these stations: level, rates and
     * time to empty from `now`, looking at most horizonHours ahead.
     */
    async forecastStationItems (stationIds: readonly string[], horizonHours: number, now = Date.now()): Promise<ItemForecast[]> {
      const out: ItemForecast[] = []
      const weather = await registry.supplies.weather(new Date(now - historyMs).toISOString().slice(0, 10), new Date(now + (horizonHours + 48) * HOUR_MS).toISOString().slice(0, 10))
      // One listing for the stations and their districts' pools (not one per item).
      const all = await registry.listStations()
      const byId = new Map(all.map((s) => [s.id, s]))
      const districts = new Map<string, string[]>()
      for (const s of all) districts.set(s.district, [...districts.get(s.district) ?? [], s.id])
      for (const id of stationIds) {
        const station = byId.get(id)
        if (!station) continue
        const st = states.get(id)
        const catalog = new Map((await registry.supplies.items(id)).map((c) => [c.item, c]))
        const items = [...new Set([...catalog.keys(), ...(st?.readings.keys() ?? [])])].sort()
        const counts = new Map((await registry.supplies.lastCounts(id)).map((c) => [c.item, c]))
        const restocks = (await registry.supplies.restocksBetween(id, new Date(now - historyMs).toISOString(), new Date(now + 1).toISOString())).filter((r) => r.supersededBy === null)
        for (const item of items) {
          const cat = catalog.get(item)
          const last = st?.readings.get(item)?.at(-1)
          const count = counts.get(item)
          const useCount = count !== undefined && (last === undefined || Date.parse(count.at) > last.t)
          const level = useCount ? count.quantity : last?.quantity ?? null
          // A shelf sensor reports every change and every hour: a recent reading is the level now.
          const levelAt = useCount ? Date.parse(count.at) : last === undefined ? null : now - last.t <= SENSOR_FRESH_MS ? Math.max(last.t, now) : last.t
          const capacity = cat?.capacity ?? last?.capacity ?? null
          const threshold = cat?.threshold ?? null
          const own = st?.rates.get(item)
          // Restocks the level does not hold yet: logged after the count or the last reading, and
          // (for a sensor) not the one a jump in the readings already shows (logged up to 2 h
          // after it). A sensor's next reading includes them: they count until then, never twice.
          const readAt = useCount ? levelAt : last?.t ?? null
          const ofItem = restocks.filter((r) => r.item === item && Date.parse(r.at) <= now)
          const unseen = useCount ? ofItem : notSeenBySensor(st?.readings.get(item) ?? [], ofItem)
          const after = readAt === null ? [] : unseen.filter((r) => Date.parse(r.at) > readAt)
          const pending = after.reduce((a, r) => a + r.quantity, 0)
          // A fresh sensor reading is the level now: what was logged since is added at once.
          const freshSensor = !useCount && levelAt !== null && levelAt >= now
          const startLevel = level === null ? null : freshSensor ? capped(level + pending, capacity) : level
          const district = own !== undefined && own.visits > 0 ? null : districtRates(districts.get(station.district) ?? [], station.district, item)
          const rates = own !== undefined && own.visits > 0 ? own : district
          const profile = st && st.profile.visits > 0 ? st.profile : districtProfile(districts.get(station.district) ?? [], station.district)
          const base: ItemForecast = {
            stationId: id, item, level, capacity, threshold,
            percent: level !== null && capacity !== null ? Math.round(level / capacity * 1000) / 10 : null,
            // Without a rate to forecast with, the level is still what was counted plus restocked since.
            ...(level === null ? {} : levelWith(capped(level + pending, capacity), capacity)),
            lastReadingAt: useCount ? count.at : last === undefined ? null : new Date(last.t).toISOString(),
            levelSource: levelAt === null ? 'none' : useCount ? 'manual' : 'sensor',
            pendingRestock: useCount ? 0 : pending,
            perVisit: rates ? rates.perVisit : null,
            rateSource: rates === null || rates === undefined ? 'none' : rates === own ? 'station' : 'district',
            ratePerHour: null, timeToEmptyHours: null, timeToThresholdHours: null, emptyAt: null, band: { low: null, high: null }
          }
          if (startLevel !== null && levelAt !== null && rates && profile) {
            const f = forecastItem({
              level: startLevel, levelAt, threshold: threshold ?? 0, now, horizonHours, timeZone: station.timezone, profile, rates, capacity,
              restocksAfter: freshSensor ? [] : after.map((r) => ({ t: Date.parse(r.at), quantity: r.quantity })),
              factor: weatherFactor((cat?.weather ?? 'none') as WeatherDriver, rates, weatherOf(weather, station.district))
            })
            Object.assign(base, {
              level: f.levelNow,
              percent: capacity !== null ? Math.round(f.levelNow / capacity * 1000) / 10 : null,
              ratePerHour: round(f.ratePerHour, 3),
              timeToEmptyHours: round(f.timeToEmptyHours, 2),
              timeToThresholdHours: threshold === null ? null : round(f.timeToThresholdHours, 2),
              emptyAt: f.timeToEmptyHours === null ? null : new Date(now + f.timeToEmptyHours * HOUR_MS).toISOString(),
              band: { low: round(f.band.low, 2), high: round(f.band.high, 2) }
            })
          }
          out.push(base)
        }
      }
      return out
    }
  }

  /** `ids`: the district's stations. */
  function districtRates (ids: readonly string[], district: string, item: string): ItemRates | null {
    if (district === '') return null
    const pool = ids.flatMap((id) => {
      const r = states.get(id)?.rates.get(item)
      return r ? [r] : []
    })
    return poolRates(pool)
  }

  function districtProfile (ids: readonly string[], district: string): VisitProfile | null {
    const pool = (district === '' ? [] : ids).flatMap((id) => {
      const p = states.get(id)?.profile
      return p && p.visits > 0 ? [p] : []
    })
    if (pool.length === 0) return null
    const expected = new Float64Array(168)
    for (const p of pool) for (let i = 0; i < 168; i++) expected[i]! += p.expected[i]! / pool.length
    return { expected, visits: pool.reduce((a, p) => a + p.visits, 0) / pool.length, hours: 0 }
  }
}

/** The weather days that apply to a district: its own, else the city-wide ones (''). */
function weatherOf (all: readonly WeatherDay[], district: string): Map<string, WeatherDay> {
  const out = new Map<string, WeatherDay>()
  for (const d of all) if (d.district === '') out.set(d.date, d)
  for (const d of all) if (d.district !== '' && d.district === district) out.set(d.date, d)
  return out
}

/**
 * The restocks no jump upward in the readings shows. Each jump explains one restock logged
 * within RESTOCK_MATCH_MS of it, before or after (the same match as the restock log's), so a
 * second restock soon after the first still counts; restocks in time order take the earliest
 * jump that fits.
 */
function notSeenBySensor<R extends { at: string }> (readings: readonly Reading[], restocks: readonly R[]): R[] {
  const jumps: number[] = []
  for (let i = 1; i < readings.length; i++) if (readings[i]!.quantity > readings[i - 1]!.quantity) jumps.push(readings[i]!.t)
  const used = new Set<number>()
  return [...restocks].sort((a, b) => a.at.localeCompare(b.at)).filter((r) => {
    const at = Date.parse(r.at)
    const j = jumps.findIndex((t, k) => !used.has(k) && Math.abs(t - at) <= RESTOCK_MATCH_MS)
    if (j < 0) return true
    used.add(j)
    return false
  })
}

const capped = (level: number, capacity: number | null) => (capacity === null ? level : Math.min(level, Math.max(capacity, 0)))
const levelWith = (level: number, capacity: number | null) => ({ level, percent: capacity !== null ? Math.round(level / capacity * 1000) / 10 : null })
const round = (v: number | null, digits: number) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits)

export type SupplyModel = ReturnType<typeof createSupplyModel>
