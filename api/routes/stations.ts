// GET /stations: the registered stations the caller's token may see, ordered by id (the
// registry's order).
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from '../../registry/open-registry.ts'
import { Station } from '../../registry/schemas.ts'
import { visibleStations } from '../auth/station-access.ts'
import { errorResponses } from '../errors.ts'

export const StationList = z.object({ stations: z.array(Station) })

export type StationsRouteOptions = { registry: Registry }

export const stationsRoute: FastifyPluginAsyncZod<StationsRouteOptions> = async (app, { registry }) => {
  app.get('/stations', {
    schema: {
      summary: 'List stations',
      description: 'Every station the token may see: all of them, its district\'s, or its list. `datum` is the datum of ' +
        '`lat`/`lon` (`wgs84` or `gcj02`).',
      tags: ['stations'],
      response: { 200: StationList, 500: errorResponses[500] }
    }
  }, async (request) => ({ stations: visibleStations(request, await registry.listStations()) }))
}
