// GET /stations/:id/completeness: did the devices report? Per local day, the share of
// expected environment samples and the gaps in the occupancy and door streams, so a low visit
// count from a broken device is not read as a quiet day.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { stationFigureErrors } from '../errors.ts'
import { ScopedRangeQuery } from '../figure-params.ts'
import { loadStationDays } from '../figures/day-source.ts'
import { aggOf, completenessFigures, sumDays } from '../figures/figures.ts'
import { CompletenessSchema, Provenance } from '../figures/schemas.ts'
import { stationOr404 } from '../figures/station.ts'
import { StationParams } from '../params.ts'
import type { FigureRouteOptions } from './usage.ts'

export const CompletenessBody = z.object({
  stationId: z.string(),
  timezone: z.string(),
  scope: z.enum(['open', 'all']),
  days: z.array(CompletenessSchema.extend({ date: z.string(), visits: z.int() }))
    .meta({
      example: [{
        date: '2026-05-20', visits: 312, complete: false,
        environment: { expectedMinutes: 1440, receivedMinutes: 1310, share: 0.9097 },
        occupancy: { expectedSlots: 288, receivedSlots: 276, gaps: 1, longestGapMinutes: 60 },
        door: { silentHours: 0 },
        implausible: []
      }]
    }),
  totals: CompletenessSchema.extend({ days: z.int(), completeDays: z.int() }).describe('Sums over the range; gaps are counted per day'),
  provenance: Provenance
}).meta({
  example: {
    stationId: 'sz-futian-001',
    timezone: 'Asia/Shanghai',
    scope: 'open',
    days: [{
      date: '2026-05-20', visits: 312, complete: false,
      environment: { expectedMinutes: 1440, receivedMinutes: 1310, share: 0.9097 },
      occupancy: { expectedSlots: 288, receivedSlots: 276, gaps: 1, longestGapMinutes: 60 },
      door: { silentHours: 0 },
      implausible: []
    }],
    totals: {
      days: 1, completeDays: 0, complete: false,
      environment: { expectedMinutes: 1440, receivedMinutes: 1310, share: 0.9097 },
      occupancy: { expectedSlots: 288, receivedSlots: 276, gaps: 1, longestGapMinutes: 60 },
      door: { silentHours: 0 },
      implausible: []
    },
    provenance: { rollupDays: 1, rawDays: 0 }
  }
})

export const completenessRoute: FastifyPluginAsyncZod<FigureRouteOptions> = async (app, { registry, figures }) => {
  app.get('/stations/:id/completeness', {
    schema: {
      summary: 'Data completeness of a station per day',
      description: 'Expected: one environment sample per minute and one occupancy message per 5-minute slot, within opening hours (scope=open) or all day.',
      tags: ['figures'],
      params: StationParams,
      querystring: ScopedRangeQuery,
      response: { 200: CompletenessBody, ...stationFigureErrors }
    }
  }, async (request) => {
    const station = await stationOr404(registry, request.params.id)
    const { from, to, source, scope } = request.query
    const loaded = await loadStationDays(figures, station, from, to, { source })
    const days = loaded.days.map((d) => ({ date: d.date, visits: d.agg.entries, ...completenessFigures(aggOf(d, scope)) }))
    const totals = { ...completenessFigures(sumDays(loaded.days, scope)), days: days.length, completeDays: days.filter((d) => d.complete).length }
    totals.complete = totals.completeDays === totals.days
    return { stationId: station.id, timezone: station.timezone, scope, days, totals, provenance: loaded.provenance }
  })
}
