import type { NewStation } from '../registry/schemas.ts'
import { createRng, hashSeed } from './random.ts'

// Which stations a simulated fleet has: deterministic from (seed, size), so a fleet can be
// provisioned once and run many times. Sizes follow what unions report: a few busy downtown
// stations (300-400 visits a day), some middling ones, and many quiet ones (30-150). Stations
// sit in a handful of cities; stations of one city share its weather.

export type StationSize = 'busy' | 'medium' | 'quiet'

export type FleetStation = {
  id: string
  name: string
  city: string
  timeZone: string
  size: StationSize
  /** Expected arrivals on an ordinary weekday. */
  busyness: number
  capacity: number
  lat: number
  lon: number
}

export const MAX_FLEET_STATIONS = 10_000

type City = { code: string, name: string, district: string, share: number, lat: number, lon: number }
const CITIES: City[] = [
  { code: 'sz', name: '深圳', district: '福田区', share: 0.4, lat: 22.54, lon: 114.06 },
  { code: 'gz', name: '广州', district: '天河区', share: 0.25, lat: 23.13, lon: 113.26 },
  { code: 'sh', name: '上海', district: '徐汇区', share: 0.2, lat: 31.19, lon: 121.44 },
  { code: 'hz', name: '杭州', district: '西湖区', share: 0.15, lat: 30.27, lon: 120.15 }
]
const SIZES: Record<StationSize, { busyness: [number, number], capacity: [number, number], label: string }> = {
  busy: { busyness: [300, 400], capacity: [12, 16], label: '爱心驿站' },
  medium: { busyness: [150, 300], capacity: [8, 12], label: '户外劳动者服务站' },
  quiet: { busyness: [30, 150], capacity: [4, 8], label: '爱心驿站' }
}

/** Every tenth station is busy, two in ten are medium, the rest quiet (1-based: station 1 is busy). */
export function sizeOf (index: number): StationSize {
  const k = index % 10
  return k === 0 ? 'busy' : k <= 2 ? 'medium' : 'quiet'
}

export function fleetSpec (opts: { stations: number, seed: number | string }): FleetStation[] {
  const n = opts.stations
  if (!Number.isInteger(n) || n < 1 || n > MAX_FLEET_STATIONS) throw new Error(`stations must be an integer 1..${MAX_FLEET_STATIONS}`)
  const digits = Math.max(4, String(n).length)
  // Cities take consecutive blocks, the first city at least one station.
  const bounds: number[] = []
  let acc = 0
  for (const c of CITIES) { acc += c.share; bounds.push(Math.ceil(acc * n)) }
  const out: FleetStation[] = []
  for (let i = 0; i < n; i++) {
    const city = CITIES[bounds.findIndex((b) => i < b)] ?? CITIES[0]!
    const id = `${city.code}-${String(i + 1).padStart(digits, '0')}`
    const rng = createRng(hashSeed(opts.seed, id, 'fleet-station'))
    const size = sizeOf(i)
    const s = SIZES[size]
    out.push({
      id,
      name: `${city.name}${city.district}${s.label} ${i + 1} 号`,
      city: city.code,
      timeZone: 'Asia/Shanghai',
      size,
      busyness: rng.int(s.busyness[0], s.busyness[1]),
      capacity: rng.int(s.capacity[0], s.capacity[1]),
      lat: Math.round((city.lat + rng.uniform(-0.15, 0.15)) * 1e4) / 1e4,
      lon: Math.round((city.lon + rng.uniform(-0.15, 0.15)) * 1e4) / 1e4
    })
  }
  return out
}

/** The registry's view of a fleet station. */
export function toNewStation (s: FleetStation): NewStation {
  return { id: s.id, name: s.name, address: `${s.name}（模拟）`, lat: s.lat, lon: s.lon, timezone: s.timeZone, capacity: s.capacity }
}
