// Which stations a caller may see. An API token carries a scope like a service client's: all
// stations, one district, or a list of stations. A district scope is resolved against the
// station's district at the time of the request, so a station moved into the district is
// visible without editing the token (and one moved out disappears at once).
import type { StationScope } from '../../registry/schemas.ts'

export type ScopedStation = { id: string, district: string }

export function stationInScope (scope: StationScope, station: ScopedStation): boolean {
  switch (scope.kind) {
    case 'all': return true
    case 'district': return station.district !== '' && station.district === scope.district
    case 'stations': return scope.stations.includes(station.id)
  }
}

/** The stations of `all` that `scope` lets the caller see, in their order. */
export function stationsInScope<S extends ScopedStation> (scope: StationScope, all: readonly S[]): S[] {
  return scope.kind === 'all' ? [...all] : all.filter((s) => stationInScope(scope, s))
}
