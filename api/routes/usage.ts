// GET /stations/:id/usage: visits, distinct workers, refused attempts, people counter against
// door scans and first-time visitors per local day, ISO week or month.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { FleetCache } from '../fleet-cache/fleet-cache.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { stationFigureErrors } from '../errors.ts'
import { UsageQuery } from '../figure-params.ts'
import { loadStationDays, type FigureSource } from '../figures/day-source.ts'
import { loadWorkerSets } from '../figures/distinct-workers.ts'
import { Provenance, UsageFiguresSchema } from '../figures/schemas.ts'
import { stationOr404 } from '../figures/station.ts'
import { periodsOf, usageOf } from '../figures/usage.ts'
import { StationParams } from '../params.ts'

export const UsageBody = z.object({
  stationId: z.string(),
  timezone: z.string(),
  granularity: z.enum(['day', 'week', 'month']),
  periods: z.array(UsageFiguresSchema).describe('One row per period from..to, empty periods as zeros'),
  totals: UsageFiguresSchema.describe('The whole range'),
  provenance: Provenance
}).meta({
  example: {
    stationId: 'sz-futian-001',
    timezone: 'Asia/Shanghai',
    granularity: 'day',
    periods: [{ from: '2026-05-04', to: '2026-05-04', visits: 341, uniqueWorkers: 139, denied: 7, counterEntries: 349, counterMinusDoor: 8, firstTimeVisitors: 31, entriesOutsideOpeningHours: 0 }],
    totals: { from: '2026-05-04', to: '2026-05-04', visits: 341, uniqueWorkers: 139, denied: 7, counterEntries: 349, counterMinusDoor: 8, firstTimeVisitors: 31, entriesOutsideOpeningHours: 0 },
    provenance: { rollupDays: 1, rawDays: 0 }
  }
})

export type FigureRouteOptions = {
  registry: Registry
  figures: FigureSource
  /** Fleet answers of complete months (api/fleet-cache/); absent: always computed. */
  fleetCache?: FleetCache | null
}

export const usageRoute: FastifyPluginAsyncZod<FigureRouteOptions> = async (app, { registry, figures }) => {
  app.get('/stations/:id/usage', {
    schema: {
      summary: 'Visits of a station per day, week or month',
      description: 'Granted entries, distinct workers, refused attempts, people-counter entries against door scans, first-time visitors. Days are local calendar days of the station.',
      tags: ['figures'],
      params: StationParams,
      querystring: UsageQuery,
      response: { 200: UsageBody, ...stationFigureErrors }
    }
  }, async (request) => {
    const station = await stationOr404(registry, request.params.id)
    const { from, to, granularity, source } = request.query
    const loaded = await loadStationDays(figures, station, from, to, { source, streams: ['door', 'occupancy'] })
    const periods = periodsOf(from, to, granularity)
    const total = { from, to }
    const needSets = granularity === 'day' ? [total] : [...periods, total]
    const sets = await loadWorkerSets(figures, station.id, loaded.days, needSets)
    return {
      stationId: station.id,
      timezone: station.timezone,
      granularity,
      periods: periods.map((p) => usageOf(loaded.days, p, sets)),
      totals: usageOf(loaded.days, total, sets),
      provenance: loaded.provenance
    }
  })
}
