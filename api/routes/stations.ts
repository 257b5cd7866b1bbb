// GET /stations: every registered station, ordered by id (the registry's order).
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from '../../registry/open-registry.ts'
import { Station } from '../../registry/schemas.ts'
import { errorResponses } from '../errors.ts'

export const StationList = z.object({ stations: z.array(Station) })

export type StationsRouteOptions = { registry: Registry }

export const stationsRoute: FastifyPluginAsyncZod<StationsRouteOptions> = async (app, { registry }) => {
  app.get('/stations', {
    schema: {
      summary: 'List stations',
      tags: ['stations'],
      response: { 200: StationList, 500: errorResponses[500] }
    }
  }, async () => ({ stations: registry.listStations() }))
}
