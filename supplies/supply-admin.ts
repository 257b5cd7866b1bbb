// Every change to supplies, for the API and the CLI alike, audited like every admin change
// (registry/admin.ts): the catalog and deliveries (admin), restocks and hand counts (operator),
// weather input, and the restocks the model recognises from a sensor jump nobody logged.
import type { Registry } from '../registry/open-registry.ts'
import { RegistryError } from '../registry/registry-error.ts'
import type { CatalogItem, CatalogItemInput, NewCount, NewDelivery, NewRestock, Restock, WeatherDay } from './schemas.ts'
import { NewRestock as NewRestockSchema } from './schemas.ts'
import { invalid } from '../registry/registry-error.ts'

/** A logged restock and a sensor jump this close in time are the same restock. */
export const RESTOCK_MATCH_MS = 2 * 3_600_000
/** The actor of changes the supply model makes by itself. */
export const MODEL_ACTOR = 'system:supply-model'

const iso = (at: string | undefined, now: () => number) => new Date(at === undefined ? now() : Date.parse(at)).toISOString()
const shift = (at: string, ms: number) => new Date(Date.parse(at) + ms).toISOString()

export function createSupplyAdmin (registry: Registry, opts: { now?: () => number } = {}) {
  const store = registry.supplies
  const audit = registry.audit.append
  const now = opts.now ?? Date.now
  const station = async (id: string) => {
    const s = await registry.getStation(id)
    if (!s) throw new RegistryError('not_found', `station ${id} not found`)
    return s
  }

  /** The unsuperseded restock of the other kind closest to `at` within RESTOCK_MATCH_MS. */
  async function partner (stationId: string, item: string, at: string, kind: Restock['kind']): Promise<Restock | undefined> {
    const t = Date.parse(at)
    return (await store.restocksBetween(stationId, shift(at, -RESTOCK_MATCH_MS), shift(at, RESTOCK_MATCH_MS + 1)))
      .filter((r) => r.item === item && r.kind === kind && r.supersededBy === null)
      .sort((a, b) => Math.abs(Date.parse(a.at) - t) - Math.abs(Date.parse(b.at) - t))[0]
  }

  return {
    async setItem (actor: string, stationId: string, item: string, input: CatalogItemInput): Promise<CatalogItem> {
      await station(stationId)
      const [before, after] = await store.setItem(stationId, item, input)
      await audit({ actor, action: before ? 'supply.item.update' : 'supply.item.create', target: `station:${stationId}`, before, after })
      return after
    },

    /** The same item for every station of a district, in one transaction and one audit record. */
    async setDistrictItem (actor: string, district: string, item: string, input: CatalogItemInput): Promise<CatalogItem[]> {
      const stations = district === '' ? [] : (await registry.stations.list({ district })).filter((s) => s.status !== 'retired')
      if (district === '' || stations.length === 0) throw new RegistryError('not_found', `no station in district ${JSON.stringify(district)}`)
      return registry.transaction(async () => {
        const changes: Array<[CatalogItem | null, CatalogItem]> = []
        for (const s of stations) changes.push(await store.setItem(s.id, item, input))
        await audit({ actor, action: 'supply.item.district', target: `district:${district}`, before: changes.map(([b]) => b), after: changes.map(([, a]) => a) })
        return changes.map(([, a]) => a)
      })
    },

    async removeItem (actor: string, stationId: string, item: string): Promise<CatalogItem> {
      const before = await store.removeItem(stationId, item)
      await audit({ actor, action: 'supply.item.remove', target: `station:${stationId}`, before })
      return before
    },

    async addDelivery (actor: string, stationId: string, input: NewDelivery) {
      await station(stationId)
      const delivery = await store.addDelivery(stationId, input)
      await audit({ actor, action: 'supply.delivery.create', target: `station:${stationId}`, after: delivery })
      return delivery
    },

    async removeDelivery (actor: string, stationId: string, id: number) {
      const before = await store.removeDelivery(stationId, id)
      await audit({ actor, action: 'supply.delivery.remove', target: `station:${stationId}`, before })
      return before
    },

    /**
     * An operator's restock. A sensor restock already recognised for the same item within
     * RESTOCK_MATCH_MS is superseded by it, so the restock counts once.
     */
    async logRestock (actor: string, stationId: string, input: NewRestock & { by: string }): Promise<Restock> {
      await station(stationId)
      const parsed = NewRestockSchema.safeParse(input)
      if (!parsed.success) throw invalid(parsed.error)
      const r = parsed.data
      const at = iso(r.at, now)
      return registry.transaction(async () => {
        const restock = (await store.insertRestock({ stationId, item: r.item, quantity: r.quantity, source: r.source, donor: r.donor ?? null, by: input.by, at, kind: 'logged' }))!
        const sensor = await partner(stationId, r.item, at, 'sensor')
        if (sensor) await store.supersede(sensor.id, restock.id)
        await audit({ actor, action: 'supply.restock', target: `station:${stationId}`, before: sensor ? { superseded: sensor } : undefined, after: restock })
        return restock
      })
    },

    /**
     * A sensor jump upward at `at`: recorded as an unlogged restock unless a logged restock
     * explains it (or it was recognised before). Returns the new row, or null.
     */
    async recordSensorRestock (stationId: string, item: string, quantity: number, at: string): Promise<Restock | null> {
      if (await partner(stationId, item, at, 'logged')) return null
      const restock = await store.insertRestock({ stationId, item, quantity, source: 'unknown', donor: null, by: MODEL_ACTOR, at, kind: 'sensor' })
      if (restock) await audit({ actor: MODEL_ACTOR, action: 'supply.restock.unlogged', target: `station:${stationId}`, after: restock })
      return restock
    },

    async addCount (actor: string, stationId: string, input: NewCount & { by: string }) {
      await station(stationId)
      const count = await store.addCount(stationId, { ...input, at: iso(input.at, now) })
      await audit({ actor, action: 'supply.count', target: `station:${stationId}`, after: count })
      return count
    },

    async setWeather (actor: string, days: WeatherDay[]): Promise<WeatherDay[]> {
      const stored = await registry.transaction(() => store.setWeather(days))
      await audit({ actor, action: 'supply.weather', target: `weather:${stored.length}`, after: stored })
      return stored
    }
  }
}

export type SupplyAdmin = ReturnType<typeof createSupplyAdmin>
