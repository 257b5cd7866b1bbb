// GET /stations/:id: one station from the registry.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from '../../registry/open-registry.ts'
import { Station } from '../../registry/schemas.ts'
import { ErrorBody, errorResponses, httpError } from '../errors.ts'
import { StationParams } from '../params.ts'

export type StationRouteOptions = { registry: Registry }

export const stationRoute: FastifyPluginAsyncZod<StationRouteOptions> = async (app, { registry }) => {
  app.get('/stations/:id', {
    schema: {
      summary: 'Get a station',
      tags: ['stations'],
      params: StationParams,
      response: { 200: Station, ...errorResponses, 404: ErrorBody.describe('No such station') }
    }
  }, async (request) => {
    const station = await registry.getStation(request.params.id)
    // The id passed StationParams, so it is a plain slug and safe to echo.
    if (!station) throw httpError(404, `station ${request.params.id} not found`)
    return station
  })
}
