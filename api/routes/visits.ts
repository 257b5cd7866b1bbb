// GET /stations/:id/visits: daily visit figures over a range of local calendar days. The
// days are the station's own (its registry time zone), because "how many riders came in on
// Tuesday" means Tuesday where the station stands, not in UTC or on the server.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from '../../registry/open-registry.ts'
import { ErrorBody, errorResponses } from '../errors.ts'
import { DateRangeQuery, StationParams } from '../params.ts'
import type { FigureSource } from '../figures/day-source.ts'
import { stationOr404 } from '../figures/station.ts'
import { visitsFromFigures } from '../figures/visits.ts'

const Figures = {
  visits: z.int().describe('Granted entries (door direction "in", result "granted")'),
  uniqueWorkers: z.int().describe('Distinct pseudonymous workers among those entries'),
  denied: z.int().describe('Refused door events, either direction')
}

export const VisitsBody = z.object({
  stationId: z.string(),
  timezone: z.string().describe('IANA zone the days are counted in'),
  from: z.string(),
  to: z.string(),
  days: z.array(z.object({ date: z.string().describe('Local calendar day, YYYY-MM-DD'), ...Figures }))
    .describe('One row per calendar day from..to, empty days included'),
  totals: z.object(Figures).describe('Whole range; uniqueWorkers is distinct over the range, not a sum')
}).meta({
  example: {
    stationId: 'sz-futian-001', timezone: 'Asia/Shanghai', from: '2026-05-01', to: '2026-05-02',
    days: [{ date: '2026-05-01', visits: 341, uniqueWorkers: 139, denied: 7 }, { date: '2026-05-02', visits: 0, uniqueWorkers: 0, denied: 0 }],
    totals: { visits: 341, uniqueWorkers: 139, denied: 7 }
  }
})

/** Days come from the rollups (raw events for days not rolled up yet). */
export type VisitsRouteOptions = { registry: Registry, figures: FigureSource }

export const visitsRoute: FastifyPluginAsyncZod<VisitsRouteOptions> = async (app, { registry, figures: source }) => {
  app.get('/stations/:id/visits', {
    schema: {
      summary: 'Daily visits of a station',
      description: 'Visits, distinct workers and refused door events per local calendar day of the station.',
      tags: ['stations'],
      params: StationParams,
      querystring: DateRangeQuery,
      response: {
        200: VisitsBody,
        ...errorResponses,
        404: ErrorBody.describe('No such station'),
        503: ErrorBody.describe('Time-series store unavailable')
      }
    }
  }, async (request) => {
    const { id } = request.params
    const { from, to } = request.query
    const station = await stationOr404(registry, id)
    const figures = await visitsFromFigures(source, station, from, to)
    return { stationId: id, timezone: station.timezone, from, to, ...figures }
  })
}
