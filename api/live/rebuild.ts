// Rebuilds the live state from InfluxDB, so a restarted API shows every station as it was at
// once: the last occupancy, climate quantity, equipment state and supply level, the last
// message, and today's granted entries. A few statements with GROUP BY "station" in one or
// two round trips, whatever the fleet size:
//   1. everything over the last `recentMs` (a station that is up reports its climate every
//      minute and its occupancy every 5), equipment and supplies over `lookbackMs` (they report
//      on change or hourly: a fridge switched on three days ago is still on), and today's
//      entries from the earliest local midnight of the fleet;
//   2. only for stations still missing a value: the same over `lookbackMs`.
// Results go through the store's setters (newest wins, entries counted once), so events that
// arrive while this runs are neither lost nor counted twice.
import { Appliance } from '../../contract/payloads.ts'
import { columnIndex, stationFilter, type Placeholders, type QueryFn, type Series } from '../../rollups/influx-query.ts'
import type { LiveStore } from './live-store.ts'
import { MAX_FUTURE_MS, QUANTITIES, setClimate, setEquipment, setLastMessage, setOccupancy, setSupply } from './station-state.ts'
import { countEntry } from './today.ts'

export type RebuildOptions = {
  store: LiveStore
  query: QueryFn
  now?: () => number
  /** How far back a last value is looked for at all (default 30 days). */
  lookbackMs?: number
  /** The first, cheap pass (default 2 h). */
  recentMs?: number
}

export type RebuildResult = { stations: number, entries: number, secondPass: number, ms: number }

const DAY_MS = 86_400_000
// Identifiers are constants (never from a request); values are bound parameters.
const LAST_SEEN = 'SELECT LAST("seq") AS "v" FROM "door","occupancy","environment","status","equipment","supply"'
const LAST_VALUE: Array<{ key: string, select: string }> = [
  { key: 'occupancy', select: 'SELECT LAST("count") AS "v" FROM "occupancy"' },
  ...QUANTITIES.map((q) => ({ key: q, select: `SELECT LAST("${q}") AS "v" FROM "environment"` })),
  { key: 'lastMessage', select: LAST_SEEN }
]
// Chunks of a station filter: the statement travels in a GET URL.
const FILTER_CHUNK = 200
const SECOND_PASS_PARALLEL = 4

export async function rebuildLive (opts: RebuildOptions): Promise<RebuildResult> {
  const started = Date.now()
  const t = (opts.now ?? Date.now)()
  const lookback = opts.lookbackMs ?? 30 * DAY_MS
  const recent = Math.min(opts.recentMs ?? 2 * 3_600_000, lookback)
  const records = [...opts.store.records()]
  if (records.length === 0) return { stations: 0, entries: 0, secondPass: 0, ms: 0 }
  const dayFrom = Math.min(...records.map((s) => s.today.startMs))
  const iso = (ms: number) => new Date(ms).toISOString()
  const ph: Placeholders = { recent: iso(t - recent), lookback: iso(t - lookback), until: iso(t + MAX_FUTURE_MS), day: iso(dayFrom) }
  const window = (since: string) => ` WHERE time >= $${since} AND time <= $until`

  const first = [
    ...LAST_VALUE.map((s) => `${s.select}${window('recent')} GROUP BY "station"`),
    `SELECT LAST("state") AS "state", "fault" FROM "equipment"${window('lookback')} GROUP BY "station","appliance","unit"`,
    `SELECT LAST("quantity") AS "quantity", "capacity" FROM "supply"${window('lookback')} GROUP BY "station","item"`,
    `SELECT LAST("capacity") AS "capacity" FROM "supply"${window('lookback')} GROUP BY "station","item"`,
    `SELECT "seq", "worker" FROM "door" WHERE "result" = 'granted' AND "direction" = 'in' AND time >= $day AND time <= $until GROUP BY "station","device"`
  ]
  const results = await opts.query(first, ph)
  const found = LAST_VALUE.map((_, i) => applyLast(opts.store, LAST_VALUE[i]!.key, results[i]!))
  const n = LAST_VALUE.length
  applyEquipment(opts.store, results[n]!)
  applySupply(opts.store, results[n + 1]!, results[n + 2]!)
  const entries = applyEntries(opts.store, results[n + 3]!)

  // Second pass: each last value still missing, for the stations missing it, over the lookback.
  // One request per chunk of FILTER_CHUNK stations: statements and bound values travel in the
  // URL of a GET, and a whole province in one (7 statements × 10,000 stations) is refused by
  // InfluxDB with 431 Request Header Fields Too Large.
  let secondPass = 0
  const requests: Array<{ key: string, statement: string, placeholders: Placeholders }> = []
  LAST_VALUE.forEach((s, i) => {
    const missing = records.map((r) => r.meta.id).filter((id) => !found[i]!.has(id))
    secondPass = Math.max(secondPass, missing.length)
    for (let k = 0; k < missing.length; k += FILTER_CHUNK) {
      const placeholders: Placeholders = { lookback: ph.lookback!, until: ph.until! }
      const filter = stationFilter(missing.slice(k, k + FILTER_CHUNK), placeholders)
      requests.push({ key: s.key, statement: `${s.select}${window('lookback')} AND ${filter} GROUP BY "station"`, placeholders })
    }
  })
  // A few at a time: enough to hide the round trips, few enough not to crowd the server.
  for (let k = 0; k < requests.length; k += SECOND_PASS_PARALLEL) {
    await Promise.all(requests.slice(k, k + SECOND_PASS_PARALLEL).map(async (r) => {
      const [series] = await opts.query([r.statement], r.placeholders)
      applyLast(opts.store, r.key, series ?? [])
    }))
  }
  return { stations: records.length, entries, secondPass, ms: Date.now() - started }
}

/** Applies LAST("…") per station; returns the stations that had a value. */
function applyLast (store: LiveStore, key: string, series: Series[]): Set<string> {
  const found = new Set<string>()
  for (const s of series) {
    const station = s.tags?.station
    const row = s.values[0]
    if (station === undefined || row === undefined) continue
    const col = columnIndex(s)
    const at = Number(row[col('time')])
    const v = row[col('v')]
    if (typeof v !== 'number' || !Number.isFinite(at)) continue
    found.add(station)
    store.update(station, (rec) => {
      if (key === 'lastMessage') return setLastMessage(rec, at)
      if (key === 'occupancy') return setOccupancy(rec, v, at)
      return setClimate(rec, key as typeof QUANTITIES[number], v, at)
    })
  }
  return found
}

function applyEquipment (store: LiveStore, series: Series[]): void {
  for (const s of series) {
    const appliance = Appliance.safeParse(s.tags?.appliance)
    const unit = Number(s.tags?.unit)
    const row = s.values[0]
    if (!s.tags?.station || !appliance.success || !Number.isInteger(unit) || row === undefined) continue
    const col = columnIndex(s)
    const state = row[col('state')]
    const fault = row[col('fault')]
    if (state !== 'on' && state !== 'off' && state !== 'fault') continue
    const at = Number(row[col('time')])
    store.update(s.tags.station, (rec) => setEquipment(rec, { appliance: appliance.data, unit, state, fault: typeof fault === 'string' ? fault : null, at }))
  }
}

function applySupply (store: LiveStore, last: Series[], capacities: Series[]): void {
  const capacity = new Map<string, number>()
  for (const s of capacities) {
    const v = s.values[0]?.[columnIndex(s)('capacity')]
    if (typeof v === 'number') capacity.set(`${s.tags?.station} ${s.tags?.item}`, v)
  }
  for (const s of last) {
    const station = s.tags?.station
    const item = s.tags?.item
    const row = s.values[0]
    if (!station || !item || row === undefined) continue
    const col = columnIndex(s)
    const quantity = row[col('quantity')]
    const own = row[col('capacity')]
    if (typeof quantity !== 'number') continue
    const cap = typeof own === 'number' ? own : capacity.get(`${station} ${item}`) ?? null
    store.update(station, (rec) => setSupply(rec, item, quantity, cap, Number(row[col('time')])))
  }
}

function applyEntries (store: LiveStore, series: Series[]): number {
  let n = 0
  for (const s of series) {
    const station = s.tags?.station
    const device = s.tags?.device
    if (!station || !device) continue
    const col = columnIndex(s)
    const [ti, si, wi] = [col('time'), col('seq'), col('worker')]
    store.update(station, (rec) => {
      let changed = false
      for (const row of s.values) {
        const worker = row[wi]
        if (countEntry(rec.today, device, Number(row[ti]), Number(row[si]), typeof worker === 'string' ? worker : undefined)) { changed = true; n++ }
      }
      return changed
    })
  }
  return n
}
