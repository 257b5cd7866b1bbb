import { openRegistry } from '../../registry/open-registry.ts'
import type { NewStation } from '../../registry/schemas.ts'
import { createRng } from '../../simulators/random.ts'

// The dashboard benchmark's fleet: N stations spread over a province-sized area (Guangdong's
// extent, ~700 × 550 km, clustered around its cities as real stations are), registered through
// the registry itself, plus a few stations with a door device whose events feed the SSE
// latency measurement, and a viewer token to sign in with.

const CITIES = [
  { name: '广州市', lat: 23.13, lon: 113.26, share: 0.22 },
  { name: '深圳市', lat: 22.54, lon: 114.06, share: 0.22 },
  { name: '东莞市', lat: 23.02, lon: 113.75, share: 0.12 },
  { name: '佛山市', lat: 23.02, lon: 113.12, share: 0.1 },
  { name: '惠州市', lat: 23.11, lon: 114.42, share: 0.06 },
  { name: '珠海市', lat: 22.27, lon: 113.58, share: 0.05 },
  { name: '汕头市', lat: 23.35, lon: 116.68, share: 0.05 },
  { name: '湛江市', lat: 21.27, lon: 110.36, share: 0.05 },
  { name: '江门市', lat: 22.58, lon: 113.08, share: 0.04 },
  { name: '韶关市', lat: 24.81, lon: 113.6, share: 0.03 },
  { name: '梅州市', lat: 24.29, lon: 116.12, share: 0.03 },
  { name: '肇庆市', lat: 23.05, lon: 112.47, share: 0.03 }
]
// Guangdong's bounding box: the 10 % of stations outside cities are spread over all of it.
const BOX = { lat: [20.2, 25.5], lon: [109.7, 117.3] } as const

export type DashboardFleet = {
  stations: number
  /** Stations with a door device, for the SSE latency measurement. */
  doors: Array<{ stationId: string, deviceId: string, secret: string }>
  viewerToken: string
}

export async function buildDashboardFleet (registryPath: string, opts: { stations: number, doorStations: number, seed: string }): Promise<DashboardFleet> {
  const rng = createRng(`dashboard-fleet|${opts.seed}`)
  const digits = String(opts.stations).length
  const list: NewStation[] = []
  for (let i = 0; i < opts.stations; i++) {
    let lat: number
    let lon: number
    let district: string
    if (rng.next() < 0.9) {
      const city = rng.weightedPick(CITIES, CITIES.map((c) => c.share))
      // ~±25 km around the city centre, denser in the middle.
      lat = city.lat + rng.normal(0, 0.1)
      lon = city.lon + rng.normal(0, 0.12)
      district = city.name
    } else {
      lat = rng.uniform(BOX.lat[0], BOX.lat[1])
      lon = rng.uniform(BOX.lon[0], BOX.lon[1])
      district = '其他'
    }
    const id = `gd-${String(i + 1).padStart(digits, '0')}`
    list.push({ id, name: `${district}爱心驿站 ${i + 1} 号`, district, lat: Math.round(lat * 1e4) / 1e4, lon: Math.round(lon * 1e4) / 1e4, capacity: 8 + (i % 9) })
  }
  const registry = openRegistry(registryPath)
  try {
    await registry.transaction(async () => { for (const s of list) await registry.addStation(s) })
    const doors: DashboardFleet['doors'] = []
    // Spread over the fleet, with the registry's real credential hashing (a handful only).
    for (let k = 0; k < opts.doorStations; k++) {
      const stationId = list[Math.floor((k * list.length) / opts.doorStations)]!.id
      const deviceId = `${stationId}-door`
      doors.push({ stationId, deviceId, secret: (await registry.addDevice(stationId, deviceId, 'door')).secret })
    }
    const viewerToken = (await registry.tokens.create({ name: 'dashboard bench', role: 'viewer', createdBy: 'bench' })).secret
    return { stations: list.length, doors, viewerToken }
  } finally {
    registry.close()
  }
}
