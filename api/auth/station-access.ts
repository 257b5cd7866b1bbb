// A scoped token sees its stations and nothing else, enforced in two places:
//   - every route under /stations/:id (figures, visits, presence, reports, live state, and any
//     added later) answers a station outside the caller's scope exactly as it answers one that
//     does not exist: 404 "station X not found", so a scoped caller cannot even learn which
//     ids exist elsewhere. One preHandler, after validation (a malformed id is a 400 for all);
//   - routes about several stations (lists, fleet figures, reports) ask `visibleStations` or
//     `callerScope` for what the caller may see and compute over that only.
// Admin routes and fleet-wide ones (`config.allStations`) need scope all: bearer-auth.ts.
import fp from 'fastify-plugin'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { StationScope } from '../../registry/schemas.ts'
import { httpError } from '../errors.ts'
// For FastifyRequest.apiToken: declared where roles are, and needed wherever this file is
// type-checked alone (the web app's typecheck reaches it through the route body types).
import type {} from './roles.ts'
import { stationInScope, stationsInScope, type ScopedStation } from './station-scope.ts'

export type StationAccessOptions = {
  stations: { get (id: string): Promise<ScopedStation | null> }
}

// `/stations/:id` and everything below it.
const STATION_ROUTE = /^\/stations\/:id(?:\/|$)/

// Sees nothing: what a route under a token requirement gets if it ever runs without one.
const NOTHING: StationScope = { kind: 'stations', stations: [] }

/** The scope of the caller's token (a session's is its token's). */
export function callerScope (request: FastifyRequest): StationScope {
  return request.apiToken?.scope ?? NOTHING
}

/** The stations of `all` the caller may see, in their order. */
export function visibleStations<S extends ScopedStation> (request: FastifyRequest, all: readonly S[]): S[] {
  return stationsInScope(callerScope(request), all)
}

/** The uniform answer for a station the caller may not see: the same as for no station at all. */
export function stationNotFound (id: string): Error {
  return httpError(404, `station ${id} not found`)
}

const stationAccessPlugin: FastifyPluginAsync<StationAccessOptions> = async (app, { stations }) => {
  app.addHook('preHandler', async (request) => {
    const url = request.routeOptions.url
    if (url === undefined || !STATION_ROUTE.test(url)) return
    const scope = callerScope(request)
    if (scope.kind === 'all') return
    const id = (request.params as { id?: unknown }).id
    if (typeof id !== 'string') return
    const station = await stations.get(id)
    // An unknown station is left to the route, which answers the same 404.
    if (station && !stationInScope(scope, { id: station.id, district: station.district ?? '' })) throw stationNotFound(id)
  })
}

export const stationAccess = fp(stationAccessPlugin, { fastify: '5.x', name: 'waystation-station-access', dependencies: ['waystation-bearer-auth'] })
