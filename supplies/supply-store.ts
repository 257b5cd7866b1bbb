// The supplies tables of the registry (migration 8): catalog, deliveries, restocks, hand
// counts, weather. Plain reads and writes; audited changes go through supplies/supply-admin.ts.
import type { DatabaseSync } from 'node:sqlite'
import { invalid, RegistryError } from '../registry/registry-error.ts'
import {
  CatalogItemInput, NewCount, NewDelivery, WeatherDay,
  type CatalogItem, type Delivery, type ManualCount, type Restock, type WeatherDriver
} from './schemas.ts'

type ItemRow = { station_id: string, item: string, name_zh: string, name_en: string, unit: string, capacity: number, threshold: number, weather: string, price_cents: number | null, updated_at: string }
type DeliveryRow = { id: number, station_id: string, item: string, quantity: number, supplier: string, source: string, days: string, at: string, created_at: string }
type RestockRow = { id: number, station_id: string, item: string, quantity: number, source: string, donor: string | null, by: string, at: string, kind: string, superseded_by: number | null, created_at: string }
type CountRow = { id: number, station_id: string, item: string, quantity: number, by: string, at: string }

const toItem = (r: ItemRow): CatalogItem => ({
  stationId: r.station_id, item: r.item, nameZh: r.name_zh, nameEn: r.name_en, unit: r.unit, capacity: r.capacity,
  threshold: r.threshold, weather: r.weather as WeatherDriver, priceCents: r.price_cents, updatedAt: r.updated_at
})
const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id, stationId: r.station_id, item: r.item, quantity: r.quantity, supplier: r.supplier,
  source: r.source as Delivery['source'], days: JSON.parse(r.days) as number[], at: r.at, createdAt: r.created_at
})
export const toRestock = (r: RestockRow): Restock => ({
  id: r.id, stationId: r.station_id, item: r.item, quantity: r.quantity, source: r.source as Restock['source'], donor: r.donor,
  by: r.by, at: r.at, kind: r.kind as Restock['kind'], supersededBy: r.superseded_by, createdAt: r.created_at
})
const toCount = (r: CountRow): ManualCount => ({ id: r.id, stationId: r.station_id, item: r.item, quantity: r.quantity, by: r.by, at: r.at })

/** A restock row as stored (times normalised to ISO UTC). */
export type RestockInsert = Omit<Restock, 'id' | 'supersededBy' | 'createdAt'>

export function createSupplyStore (db: DatabaseSync) {
  const q = {
    item: db.prepare('SELECT * FROM supply_items WHERE station_id = ? AND item = ?'),
    items: db.prepare('SELECT * FROM supply_items WHERE station_id = ? ORDER BY item'),
    allItems: db.prepare('SELECT * FROM supply_items ORDER BY station_id, item'),
    upsertItem: db.prepare(`INSERT INTO supply_items (station_id, item, name_zh, name_en, unit, capacity, threshold, weather, price_cents, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (station_id, item) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
      unit = excluded.unit, capacity = excluded.capacity, threshold = excluded.threshold, weather = excluded.weather,
      price_cents = excluded.price_cents, updated_at = excluded.updated_at`),
    deleteItem: db.prepare('DELETE FROM supply_items WHERE station_id = ? AND item = ?'),
    deliveries: db.prepare('SELECT * FROM supply_deliveries WHERE station_id = ? ORDER BY at, id'),
    delivery: db.prepare('SELECT * FROM supply_deliveries WHERE id = ?'),
    insertDelivery: db.prepare('INSERT INTO supply_deliveries (station_id, item, quantity, supplier, source, days, at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    deleteDelivery: db.prepare('DELETE FROM supply_deliveries WHERE id = ?'),
    restock: db.prepare('SELECT * FROM supply_restocks WHERE id = ?'),
    restocksBetween: db.prepare('SELECT * FROM supply_restocks WHERE station_id = ? AND at >= ? AND at < ? ORDER BY at, id'),
    insertRestock: db.prepare(`INSERT INTO supply_restocks (station_id, item, quantity, source, donor, by, at, kind, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
    supersede: db.prepare('UPDATE supply_restocks SET superseded_by = ? WHERE id = ? AND superseded_by IS NULL'),
    counts: db.prepare('SELECT * FROM supply_counts WHERE station_id = ? AND at >= ? AND at < ? ORDER BY at, id'),
    lastCounts: db.prepare(`SELECT c.* FROM supply_counts c WHERE c.station_id = ? AND c.id = (
      SELECT id FROM supply_counts WHERE station_id = c.station_id AND item = c.item ORDER BY at DESC, id DESC LIMIT 1) ORDER BY item`),
    insertCount: db.prepare('INSERT INTO supply_counts (station_id, item, quantity, by, at) VALUES (?, ?, ?, ?, ?)'),
    upsertWeather: db.prepare(`INSERT INTO supply_weather (district, date, max_c, rain_mm) VALUES (?, ?, ?, ?)
      ON CONFLICT (district, date) DO UPDATE SET max_c = excluded.max_c, rain_mm = excluded.rain_mm`),
    weather: db.prepare('SELECT * FROM supply_weather WHERE date >= ? AND date <= ? ORDER BY district, date')
  }
  const now = () => new Date().toISOString()

  return {
    item: (stationId: string, item: string): CatalogItem | null => {
      const r = q.item.get(stationId, item) as ItemRow | undefined
      return r ? toItem(r) : null
    },
    items: (stationId: string): CatalogItem[] => (q.items.all(stationId) as ItemRow[]).map(toItem),
    allItems: (): CatalogItem[] => (q.allItems.all() as ItemRow[]).map(toItem),
    /** Creates or replaces an item; returns [before, after]. */
    setItem (stationId: string, item: string, input: CatalogItemInput): [CatalogItem | null, CatalogItem] {
      const parsed = CatalogItemInput.safeParse(input)
      if (!parsed.success) throw invalid(parsed.error)
      const i = parsed.data
      const before = this.item(stationId, item)
      q.upsertItem.run(stationId, item, i.nameZh, i.nameEn, i.unit, i.capacity, i.threshold, i.weather, i.priceCents, now())
      return [before, this.item(stationId, item)!]
    },
    removeItem (stationId: string, item: string): CatalogItem {
      const before = this.item(stationId, item)
      if (!before) throw new RegistryError('not_found', `station ${stationId} has no item ${item}`)
      q.deleteItem.run(stationId, item)
      return before
    },
    deliveries: (stationId: string): Delivery[] => (q.deliveries.all(stationId) as DeliveryRow[]).map(toDelivery),
    addDelivery (stationId: string, input: NewDelivery): Delivery {
      const parsed = NewDelivery.safeParse(input)
      if (!parsed.success) throw invalid(parsed.error)
      const d = parsed.data
      const { lastInsertRowid } = q.insertDelivery.run(stationId, d.item, d.quantity, d.supplier, d.source, JSON.stringify(d.days), d.at, now())
      return toDelivery(q.delivery.get(Number(lastInsertRowid)) as DeliveryRow)
    },
    removeDelivery (stationId: string, id: number): Delivery {
      const r = q.delivery.get(id) as DeliveryRow | undefined
      if (!r || r.station_id !== stationId) throw new RegistryError('not_found', `station ${stationId} has no delivery ${id}`)
      q.deleteDelivery.run(id)
      return toDelivery(r)
    },
    restock: (id: number): Restock | null => {
      const r = q.restock.get(id) as RestockRow | undefined
      return r ? toRestock(r) : null
    },
    /** Restocks with from <= at < to (ISO strings), superseded ones included. */
    restocksBetween: (stationId: string, from: string, to: string): Restock[] =>
      (q.restocksBetween.all(stationId, from, to) as RestockRow[]).map(toRestock),
    /** null when the row exists already (a sensor restock recognised twice). */
    insertRestock (r: RestockInsert): Restock | null {
      const { changes, lastInsertRowid } = q.insertRestock.run(r.stationId, r.item, r.quantity, r.source, r.donor, r.by, r.at, r.kind, now())
      return Number(changes) === 0 ? null : this.restock(Number(lastInsertRowid))
    },
    supersede: (id: number, by: number): boolean => Number(q.supersede.run(by, id).changes) === 1,
    counts: (stationId: string, from: string, to: string): ManualCount[] => (q.counts.all(stationId, from, to) as CountRow[]).map(toCount),
    lastCounts: (stationId: string): ManualCount[] => (q.lastCounts.all(stationId) as CountRow[]).map(toCount),
    addCount (stationId: string, input: NewCount & { by: string, at: string }): ManualCount {
      const parsed = NewCount.safeParse(input)
      if (!parsed.success) throw invalid(parsed.error)
      const { lastInsertRowid } = q.insertCount.run(stationId, parsed.data.item, parsed.data.quantity, input.by, input.at)
      return { id: Number(lastInsertRowid), stationId, item: parsed.data.item, quantity: parsed.data.quantity, by: input.by, at: input.at }
    },
    setWeather (days: WeatherDay[]): WeatherDay[] {
      const parsed = days.map((d) => {
        const p = WeatherDay.safeParse(d)
        if (!p.success) throw invalid(p.error)
        return p.data
      })
      for (const d of parsed) q.upsertWeather.run(d.district, d.date, d.maxC, d.rainMm)
      return parsed
    },
    weather: (from: string, to: string): WeatherDay[] =>
      (q.weather.all(from, to) as Array<{ district: string, date: string, max_c: number, rain_mm: number }>).map((r) => ({ district: r.district, date: r.date, maxC: r.max_c, rainMm: r.rain_mm }))
  }
}

export type SupplyStore = ReturnType<typeof createSupplyStore>
