// GET /stations/:id/peak-hours: granted entries by local hour of day × weekday, and the
// busiest hour.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { stationFigureErrors } from '../errors.ts'
import { RangeQuery } from '../figure-params.ts'
import { loadStationDays } from '../figures/day-source.ts'
import { heatmapOf } from '../figures/figures.ts'
import { Provenance } from '../figures/schemas.ts'
import { stationOr404 } from '../figures/station.ts'
import { StationParams } from '../params.ts'
import type { FigureRouteOptions } from './usage.ts'

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const

export const PeakHoursBody = z.object({
  stationId: z.string(),
  timezone: z.string(),
  from: z.string(),
  to: z.string(),
  weekdays: z.array(z.string()).describe('Row labels of `entries`, Monday first'),
  entries: z.array(z.array(z.int())).describe('entries[weekday][hour]: granted entries in that local hour (a repeated DST hour merged)')
    .meta({ example: [[0, 0, 0, 0, 0, 3, 12, 20, 25, 18, 30, 41, 60, 44, 22, 19, 25, 33, 57, 40, 21, 10, 4, 1]] }),
  dates: z.array(z.int()).describe('How many dates of each weekday the range has'),
  busiestHour: z.object({ hour: z.int(), entries: z.int() }).nullable().describe('Local hour of day with the most entries over the range (earliest on ties)')
    .meta({ example: { hour: 12, entries: 612 } }),
  busiestSlot: z.object({ weekday: z.int().describe('0 = Monday'), hour: z.int(), entries: z.int() }).nullable(),
  provenance: Provenance
}).meta({
  example: {
    stationId: 'sz-futian-001',
    timezone: 'Asia/Shanghai',
    from: '2026-02-20',
    to: '2026-05-20',
    weekdays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    entries: [[1, 0, 0, 0, 1, 9, 31, 40, 52, 38, 61, 80, 121, 90, 45, 40, 52, 70, 118, 81, 44, 20, 9, 3]],
    dates: [13, 13, 13, 13, 13, 13, 12],
    busiestHour: { hour: 12, entries: 612 },
    busiestSlot: { weekday: 2, hour: 12, entries: 131 },
    provenance: { rollupDays: 90, rawDays: 1 }
  }
})

export const peakHoursRoute: FastifyPluginAsyncZod<FigureRouteOptions> = async (app, { registry, figures }) => {
  app.get('/stations/:id/peak-hours', {
    schema: {
      summary: 'Peak hours of a station',
      description: 'Heatmap of granted entries, local hour of day × weekday, over local days from..to.',
      tags: ['figures'],
      params: StationParams,
      querystring: RangeQuery,
      response: { 200: PeakHoursBody, ...stationFigureErrors }
    }
  }, async (request) => {
    const station = await stationOr404(registry, request.params.id)
    const { from, to, source } = request.query
    const loaded = await loadStationDays(figures, station, from, to, { source, streams: ['door'] })
    return { stationId: station.id, timezone: station.timezone, from, to, weekdays: [...WEEKDAYS], ...heatmapOf(loaded.days), provenance: loaded.provenance }
  })
}
