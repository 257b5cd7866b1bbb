import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAdmin } from '../registry/admin.ts'
import type { Registry } from '../registry/open-registry.ts'
import type { NewStation } from '../registry/schemas.ts'
import type { SimDevice } from '../simulators/station-simulator.ts'
import { SHELF_CAPACITY, SUPPLY_ITEMS, type SupplyItem } from '../simulators/amenities-model.ts'
import { createSupplyAdmin } from '../supplies/supply-admin.ts'
import type { CatalogItemInput } from '../supplies/schemas.ts'

const BASIC = ['microwave', 'ac', 'water_dispenser', 'first_aid_kit', 'charger'] as const
const FULL = [...BASIC, 'tv', 'wifi', 'fridge', 'toilet'] as const
// Each demo station has a door controller, a sensor hub and a shelf sensor, with the kinds that
// limit what each may publish (a shelf cannot send door events).
const ROLES = { door: 'door', sensors: 'sensors', shelf: 'shelf' } as const

// Five stations in Shenzhen, from a busy downtown one to a quiet suburban one.
export const DEMO_STATIONS: Array<NewStation & { busyness: number }> = [
  { id: 'sz-futian-001', name: '福田区华强北爱心驿站', address: '深圳市福田区华强北路 1016 号', district: '福田区', lat: 22.5445, lon: 114.0880, capacity: 16, areaM2: 24, amenities: [...FULL], busyness: 360 },
  { id: 'sz-nanshan-002', name: '南山区科技园户外劳动者服务站', address: '深圳市南山区科技南十二路 2 号', district: '南山区', lat: 22.5400, lon: 113.9530, capacity: 14, areaM2: 20, amenities: [...FULL], busyness: 300 },
  { id: 'sz-luohu-003', name: '罗湖区东门爱心驿站', address: '深圳市罗湖区解放路 3021 号', district: '罗湖区', lat: 22.5480, lon: 114.1220, capacity: 12, areaM2: 18, amenities: [...BASIC, 'tv'], busyness: 180 },
  { id: 'sz-baoan-004', name: '宝安区西乡户外劳动者服务站', address: '深圳市宝安区西乡大道 288 号', district: '宝安区', lat: 22.5770, lon: 113.8640, capacity: 10, areaM2: 15, amenities: [...BASIC], busyness: 90 },
  { id: 'sz-longgang-005', name: '龙岗区坂田爱心驿站', address: '深圳市龙岗区坂田街道五和大道 118 号', district: '龙岗区', lat: 22.6330, lon: 114.0650, capacity: 8, areaM2: 12, amenities: [...BASIC], busyness: 50 }
]

// The supplies catalog of the demo shelves: the items and shelf sizes the simulator's shelf
// (simulators/amenities-model.ts) publishes, a reorder threshold of a quarter of the shelf,
// unit prices for the monthly report, and which weather drives each item.
const DEMO_CATALOG: Record<SupplyItem, Omit<CatalogItemInput, 'capacity' | 'threshold'>> = {
  'bottled-water': { nameZh: '瓶装水', nameEn: 'Bottled water', unit: '瓶', weather: 'heat', priceCents: 150 },
  'instant-noodles': { nameZh: '方便面', nameEn: 'Instant noodles', unit: '桶', weather: 'none', priceCents: 450 },
  raincoat: { nameZh: '雨衣', nameEn: 'Raincoat', unit: '件', weather: 'rain', priceCents: 1000 }
}
/** The afternoon water delivery by a donor company, at the staff's 15:00 round. */
const DEMO_WATER_DONOR = '深圳市爱心饮用水有限公司'

/** Sets the demo catalog and water delivery of a station where it has none (audited as 'demo'). */
async function provisionDemoSupplies (registry: Registry, stationId: string): Promise<void> {
  const supplies = createSupplyAdmin(registry)
  for (const item of SUPPLY_ITEMS) {
    if (await registry.supplies.item(stationId, item)) continue
    await supplies.setItem('demo', stationId, item, { ...DEMO_CATALOG[item], capacity: SHELF_CAPACITY[item], threshold: Math.ceil(SHELF_CAPACITY[item] / 4) })
  }
  if ((await registry.supplies.deliveries(stationId)).length === 0) {
    await supplies.addDelivery('demo', stationId, { item: 'bottled-water', quantity: SHELF_CAPACITY['bottled-water'], supplier: DEMO_WATER_DONOR, source: 'donation', at: '15:00' })
  }
}

type FleetFile = { backfilledAt?: string, devices: Record<string, string>, viewerToken?: string, adminToken?: string }

/**
 * Registers the demo stations and their three devices each, idempotently. Device secrets exist
 * in clear only at creation, so the demo keeps them in DATA_DIR/demo-fleet.json (mode 0600) for
 * its simulators, as a real device keeps its own.
 */
export async function provisionDemoFleet (registry: Registry, dataDir: string) {
  const path = join(dataDir, 'demo-fleet.json')
  const file: FleetFile = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as FleetFile : { devices: {} }
  const save = () => writeFileSync(path, JSON.stringify(file, null, 2), { mode: 0o600 })
  const stations = []
  for (const { busyness, ...station } of DEMO_STATIONS) {
    if (!await registry.getStation(station.id)) await registry.addStation(station)
    const devices: SimDevice[] = []
    for (const [role, kind] of Object.entries(ROLES) as Array<[keyof typeof ROLES, string]>) {
      const deviceId = `${station.id}-${role}`
      let secret = file.devices[deviceId]
      if (!secret) {
        if ((await registry.listDevices(station.id)).some((d) => d.id === deviceId)) {
          throw new Error(`device ${deviceId} is registered but its demo secret is not in ${path}; remove the demo data directory to start over`)
        }
        secret = (await registry.addDevice(station.id, deviceId, kind)).secret
        file.devices[deviceId] = secret
        save()
      }
      devices.push({ deviceId, secret, role })
    }
    await provisionDemoSupplies(registry, station.id)
    stations.push({ station: (await registry.getStation(station.id))!, busyness, devices })
  }
  // API tokens to sign in to the dashboard and try the API with, an admin and a read-only one,
  // kept here for the same reason as the device secrets; a new one if one was revoked.
  const token = async (key: 'viewerToken' | 'adminToken', role: 'viewer' | 'admin'): Promise<string> => {
    let secret = file[key]
    if (secret === undefined || await registry.tokens.verify(secret) === null) {
      secret = (await createAdmin(registry).createToken('demo', { name: `demo ${role}`, role })).secret
      file[key] = secret
      save()
    }
    return secret
  }
  const viewerToken = await token('viewerToken', 'viewer')
  const adminToken = await token('adminToken', 'admin')
  return {
    stations,
    path,
    viewerToken,
    adminToken,
    backfilledAt: file.backfilledAt ? Date.parse(file.backfilledAt) : undefined,
    markBackfilled: (at: number) => { file.backfilledAt = new Date(at).toISOString(); save() }
  }
}
