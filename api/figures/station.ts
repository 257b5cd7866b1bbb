// The registry facts a figure needs, or the API's uniform 404.
import type { Registry } from '../../registry/open-registry.ts'
import type { Station } from '../../registry/schemas.ts'
import { httpError } from '../errors.ts'
import type { StationFacts } from './day-source.ts'

export type StationInfo = StationFacts & { name: string, district: string }

export async function stationOr404 (registry: Registry, id: string): Promise<StationInfo> {
  const s = await registry.getStation(id)
  // The id passed StationParams, so it is a plain slug and safe to echo.
  if (!s) throw httpError(404, `station ${id} not found`)
  return stationInfo(s)
}

/** The facts of a station the registry returned (e.g. from listStations: no lookup per station). */
export function stationInfo (s: Station): StationInfo {
  return { id: s.id, name: s.name, district: s.district ?? '', timezone: s.timezone, capacity: s.capacity, openingHours: s.openingHours ?? '24h' }
}
