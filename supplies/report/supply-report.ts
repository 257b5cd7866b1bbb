// The monthly supplies report, per station and for a fleet or district: what was consumed and
// restocked of each item in the local calendar month, restocks by source (purchase, each named
// donor with figures so donors can be thanked, unlogged sensor jumps), and money where the
// catalog sets a unit price. Restocks superseded by a logged one are never counted (docs/supplies.md).
import { addDays, localMidnightUtc } from '../../platform/local-day.ts'
import { monthBounds } from '../../rollups/day-bounds.ts'
import { stationFilter, type QueryFn } from '../../rollups/influx-query.ts'
import type { Registry } from '../../registry/open-registry.ts'
import type { StationInfo } from '../../api/figures/station.ts'

export type Totals = { consumed: number | null, restocked: number, purchased: number, donated: number, unlogged: number, purchaseCost: number | null, donatedValue: number | null, consumedValue: number | null }
export type ItemRow = { item: string, name: string, unit: string | null, consumedFrom: 'sensor' | 'counts' | null, unitPrice: number | null } & Totals
export type DonorRow = { donor: string, item: string, name: string, quantity: number, value: number | null, stations: number }
type Reading = { t: number, q: number }

/** Readings before the month looked at for the level it starts from. */
const LOOKBACK_MS = 14 * 86_400_000
const yuan = (units: number, cents: number | null) => (cents === null ? null : Math.round(units * cents) / 100)
const addNull = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.round((a + b) * 100) / 100)

export function emptyTotals (): Totals {
  return { consumed: null, restocked: 0, purchased: 0, donated: 0, unlogged: 0, purchaseCost: null, donatedValue: null, consumedValue: null }
}

export function addTotals<T extends Totals> (into: T, t: Totals): T {
  into.consumed = t.consumed === null ? into.consumed : (into.consumed ?? 0) + t.consumed
  into.restocked += t.restocked
  into.purchased += t.purchased
  into.donated += t.donated
  into.unlogged += t.unlogged
  into.purchaseCost = addNull(into.purchaseCost, t.purchaseCost)
  into.donatedValue = addNull(into.donatedValue, t.donatedValue)
  into.consumedValue = addNull(into.consumedValue, t.consumedValue)
  return into
}

/** Units taken off the shelf: every step down between consecutive sensor readings (steps up are restocks). */
function sensorConsumption (readings: readonly Reading[]): number {
  let used = 0
  for (let i = 1; i < readings.length; i++) used += Math.max(0, readings[i - 1]!.q - readings[i]!.q)
  return used
}

/** Between consecutive hand counts: the earlier count plus what was restocked in between, less the later count. */
function countConsumption (counts: readonly Reading[], restocks: readonly Reading[]): number | null {
  if (counts.length < 2) return null
  let used = 0
  for (let i = 1; i < counts.length; i++) {
    const added = restocks.filter((r) => r.t > counts[i - 1]!.t && r.t <= counts[i]!.t).reduce((a, r) => a + r.q, 0)
    used += Math.max(0, counts[i - 1]!.q + added - counts[i]!.q)
  }
  return used
}

export type StationSupplyReport = Awaited<ReturnType<typeof stationSupplyReports>>[number]

/** The month's figures of each station (its own local month), sensor readings read in one query. */
export async function stationSupplyReports (registry: Registry, query: QueryFn, stations: readonly StationInfo[], month: string) {
  const { first, last } = monthBounds(month)
  const bounds = new Map(stations.map((s) => [s.id, { from: localMidnightUtc(first, s.timezone).getTime(), to: localMidnightUtc(addDays(last, 1), s.timezone).getTime() }]))
  const readings = new Map<string, Reading[]>()
  if (stations.length > 0) {
    const from = Math.min(...[...bounds.values()].map((b) => b.from))
    const to = Math.max(...[...bounds.values()].map((b) => b.to))
    const ph: Record<string, string | number> = { back: new Date(from - LOOKBACK_MS).toISOString(), from: new Date(from).toISOString(), to: new Date(to).toISOString() }
    const where = stationFilter(stations.map((s) => s.id), ph)
    const [before, during] = await query([
      `SELECT last("quantity") AS "quantity" FROM "supply" WHERE ${where} AND time >= $back AND time < $from GROUP BY "station", "item"`,
      `SELECT "quantity" FROM "supply" WHERE ${where} AND time >= $from AND time < $to GROUP BY "station", "item"`
    ], ph)
    for (const s of [...(before ?? []), ...(during ?? [])]) {
      const key = `${s.tags?.station}\u0000${s.tags?.item}`
      const b = bounds.get(s.tags?.station ?? '')
      const [t, q] = ['time', 'quantity'].map((n) => s.columns.indexOf(n))
      const list = readings.get(key) ?? []
      // The last reading before the station's own month is where it starts; later ones count.
      for (const v of s.values) if (b && (v[t!] as number) < b.to) list.push({ t: v[t!] as number, q: v[q!] as number })
      readings.set(key, list)
    }
  }
  const reportOf = async (station: StationInfo) => {
    const b = bounds.get(station.id)!
    const range = [new Date(b.from).toISOString(), new Date(b.to).toISOString()] as const
    const restocks = (await registry.supplies.restocksBetween(station.id, ...range)).filter((r) => r.supersededBy === null)
    const counts = await registry.supplies.counts(station.id, ...range)
    const catalog = new Map((await registry.supplies.items(station.id)).map((c) => [c.item, c]))
    const itemsSeen = new Set([...catalog.keys(), ...restocks.map((r) => r.item), ...counts.map((c) => c.item)])
    for (const key of readings.keys()) if (key.startsWith(`${station.id}\u0000`)) itemsSeen.add(key.slice(station.id.length + 1))
    const items: ItemRow[] = [...itemsSeen].sort().map((item) => {
      const cat = catalog.get(item)
      const price = cat?.priceCents ?? null
      const mine = restocks.filter((r) => r.item === item)
      const sum = (f: (r: typeof mine[number]) => boolean) => mine.filter(f).reduce((a, r) => a + r.quantity, 0)
      const all = (readings.get(`${station.id}\u0000${item}`) ?? []).sort((x, y) => x.t - y.t)
      // From the last reading before this station's month on (zones differ: the query was wider).
      const sensor = all.slice(Math.max(0, all.findIndex((r) => r.t >= b.from) - 1))
      const counted = counts.filter((c) => c.item === item).map((c) => ({ t: Date.parse(c.at), q: c.quantity }))
      const consumed = sensor.length >= 2 ? sensorConsumption(sensor) : countConsumption(counted, mine.map((r) => ({ t: Date.parse(r.at), q: r.quantity })))
      const purchased = sum((r) => r.source === 'purchase')
      const donated = sum((r) => r.source === 'donation')
      return {
        item, name: cat ? `${cat.nameZh} / ${cat.nameEn}` : item, unit: cat?.unit ?? null,
        consumedFrom: sensor.length >= 2 ? 'sensor' as const : consumed === null ? null : 'counts' as const,
        unitPrice: price === null ? null : price / 100,
        consumed, restocked: sum(() => true), purchased, donated, unlogged: sum((r) => r.kind === 'sensor'),
        purchaseCost: yuan(purchased, price), donatedValue: yuan(donated, price), consumedValue: consumed === null ? null : yuan(consumed, price)
      }
    })
    const donors = new Map<string, DonorRow>()
    for (const r of restocks.filter((x) => x.source === 'donation')) {
      const donor = r.donor ?? ''
      const row = donors.get(`${donor}\u0000${r.item}`) ?? { donor, item: r.item, name: items.find((i) => i.item === r.item)?.name ?? r.item, quantity: 0, value: null, stations: 1 }
      row.quantity += r.quantity
      row.value = yuan(row.quantity, catalog.get(r.item)?.priceCents ?? null)
      donors.set(`${donor}\u0000${r.item}`, row)
    }
    return { station, items, donors: [...donors.values()].sort((a, b) => a.donor.localeCompare(b.donor) || a.item.localeCompare(b.item)), summary: items.reduce(addTotals, emptyTotals()) }
  }
  // One station after the other: each reads its own rows from the registry.
  const reports = []
  for (const station of stations) reports.push(await reportOf(station))
  return reports
}
