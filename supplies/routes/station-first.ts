// For the writes under /stations/:id: an unknown station, or one outside the caller's scope, is
// a 404 before the body is validated, so that a scoped caller learns nothing of another
// station from a 400 about its body (api/auth/station-access.ts runs after validation). A
// malformed id is left to validation, which answers 400 as on every route.
import type { FastifyRequest } from 'fastify'
import { callerScope, stationNotFound } from '../../api/auth/station-access.ts'
import { stationInScope } from '../../api/auth/station-scope.ts'
import { StationId } from '../../contract/index.ts'
import type { Registry } from '../../registry/open-registry.ts'

export function stationFirst (registry: Registry) {
  return async (request: FastifyRequest): Promise<void> => {
    const id = (request.params as { id?: unknown }).id
    if (typeof id !== 'string' || !StationId.safeParse(id).success) return
    const station = await registry.getStation(id)
    if (!station || !stationInScope(callerScope(request), station)) throw stationNotFound(id)
  }
}
