// The supplies tables of the registry (migration 8): catalog, deliveries, restocks, hand
// counts, weather. Plain reads and writes; audited changes go through supplies/supply-admin.ts.
import type { SqlDb } from '../registry/db/sql-db.ts'
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

export function createSupplyStore (db: SqlDb) {
  const now = () => new Date().toISOString()
  const item = async (stationId: string, item: string): Promise<CatalogItem | null> => {
    const r = await db.get<ItemRow>('SELECT * FROM supply_items WHERE station_id = ? AND item = ?', [stationId, item])
    return r ? toItem(r) : null
  }
  const restock = async (id: number): Promise<Restock | null> => {
    const r = await db.get<RestockRow>('SELECT * FROM supply_restocks WHERE id = ?', [id])
    return r ? toRestock(r) : null
  }

  return {
    item,
    items: async (stationId: string): Promise<CatalogItem[]> => (await db.all<ItemRow>('SELECT * FROM supply_items WHERE station_id = ? ORDER BY item', [stationId])).map(toItem),
    allItems: async (): Promise<CatalogItem[]> => (await db.all<ItemRow>('SELECT * FROM supply_items ORDER BY station_id, item')).map(toItem),
    /** Creates or replaces an item; returns [before, after]. */
    async setItem (stationId: string, itemId: string, input: CatalogItemInput): Promise<[CatalogItem | null, CatalogItem]> {
      const parsed = CatalogItemInput.safeParse(input)
      if (!parsed.success) throw invalid(parsed.error)
      const i = parsed.data
      const before = await item(stationId, itemId)
      await db.run(`INSERT INTO supply_items (station_id, item, name_zh, name_en, unit, capacity, threshold, weather, price_cents, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (station_id, item) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
        unit = excluded.unit, capacity = excluded.capacity, threshold = excluded.threshold, weather = excluded.weather,
        price_cents = excluded.price_cents, updated_at = excluded.updated_at`,
      [stationId, itemId, i.nameZh, i.nameEn, i.unit, i.capacity, i.threshold, i.weather, i.priceCents, now()])
      return [before, (await item(stationId, itemId))!]
    },
    async removeItem (stationId: string, itemId: string): Promise<CatalogItem> {
      const before = await item(stationId, itemId)
      if (!before) throw new RegistryError('not_found', `station ${stationId} has no item ${itemId}`)
      await db.run('DELETE FROM supply_items WHERE station_id = ? AND item = ?', [stationId, itemId])
      return before
    },
    deliveries: async (stationId: string): Promise<Delivery[]> =>
      (await db.all<DeliveryRow>('SELECT * FROM supply_deliveries WHERE station_id = ? ORDER BY at, id', [stationId])).map(toDelivery),
    async addDelivery (stationId: string, input: NewDelivery): Promise<Delivery> {
      const parsed = NewDelivery.safeParse(input)
      if (!parsed.success) throw invalid(parsed.error)
      const d = parsed.data
      const row = await db.get<DeliveryRow>('INSERT INTO supply_deliveries (station_id, item, quantity, supplier, source, days, at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
        [stationId, d.item, d.quantity, d.supplier, d.source, JSON.stringify(d.days), d.at, now()])
      return toDelivery(row!)
    },
    async removeDelivery (stationId: string, id: number): Promise<Delivery> {
      const r = await db.get<DeliveryRow>('SELECT * FROM supply_deliveries WHERE id = ?', [id])
      if (!r || r.station_id !== stationId) throw new RegistryError('not_found', `station ${stationId} has no delivery ${id}`)
      await db.run('DELETE FROM supply_deliveries WHERE id = ?', [id])
      return toDelivery(r)
    },
    restock,
    /** Restocks with from <= at < to (ISO strings), superseded ones included. */
    restocksBetween: async (stationId: string, from: string, to: string): Promise<Restock[]> =>
      (await db.all<RestockRow>('SELECT * FROM supply_restocks WHERE station_id = ? AND at >= ? AND at < ? ORDER BY at, id', [stationId, from, to])).map(toRestock),
    /** null when the row exists already (a sensor restock recognised twice). */
    async insertRestock (r: RestockInsert): Promise<Restock | null> {
      const row = await db.get<RestockRow>(`INSERT INTO supply_restocks (station_id, item, quantity, source, donor, by, at, kind, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *`, [r.stationId, r.item, r.quantity, r.source, r.donor, r.by, r.at, r.kind, now()])
      return row ? toRestock(row) : null
    },
    supersede: async (id: number, by: number): Promise<boolean> =>
      (await db.run('UPDATE supply_restocks SET superseded_by = ? WHERE id = ? AND superseded_by IS NULL', [by, id])).changes === 1,
    counts: async (stationId: string, from: string, to: string): Promise<ManualCount[]> =>
      (await db.all<CountRow>('SELECT * FROM supply_counts WHERE station_id = ? AND at >= ? AND at < ? ORDER BY at, id', [stationId, from, to])).map(toCount),
    lastCounts: async (stationId: string): Promise<ManualCount[]> =>
      (await db.all<CountRow>(`SELECT c.* FROM supply_counts c WHERE c.station_id = ? AND c.id = (
        SELECT id FROM supply_counts WHERE station_id = c.station_id AND item = c.item ORDER BY at DESC, id DESC LIMIT 1) ORDER BY item`, [stationId])).map(toCount),
    async addCount (stationId: string, input: NewCount & { by: string, at: string }): Promise<ManualCount> {
      const parsed = NewCount.safeParse(input)
      if (!parsed.success) throw invalid(parsed.error)
      const row = await db.get<{ id: number }>('INSERT INTO supply_counts (station_id, item, quantity, by, at) VALUES (?, ?, ?, ?, ?) RETURNING id',
        [stationId, parsed.data.item, parsed.data.quantity, input.by, input.at])
      return { id: row!.id, stationId, item: parsed.data.item, quantity: parsed.data.quantity, by: input.by, at: input.at }
    },
    /** Validates every day before writing any; the caller runs it in a transaction (all or nothing). */
    async setWeather (days: WeatherDay[]): Promise<WeatherDay[]> {
      const parsed = days.map((d) => {
        const p = WeatherDay.safeParse(d)
        if (!p.success) throw invalid(p.error)
        return p.data
      })
      for (const d of parsed) {
        await db.run(`INSERT INTO supply_weather (district, date, max_c, rain_mm) VALUES (?, ?, ?, ?)
          ON CONFLICT (district, date) DO UPDATE SET max_c = excluded.max_c, rain_mm = excluded.rain_mm`, [d.district, d.date, d.maxC, d.rainMm])
      }
      return parsed
    },
    weather: async (from: string, to: string): Promise<WeatherDay[]> =>
      (await db.all<{ district: string, date: string, max_c: number, rain_mm: number }>('SELECT * FROM supply_weather WHERE date >= ? AND date <= ? ORDER BY district, date', [from, to]))
        .map((r) => ({ district: r.district, date: r.date, maxC: r.max_c, rainMm: r.rain_mm }))
  }
}

export type SupplyStore = ReturnType<typeof createSupplyStore>
