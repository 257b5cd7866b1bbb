// GET /stations/:id/occupancy: the live people count and the occupancy series (time-weighted
// mean, max, utilisation against capacity, minutes at or over capacity).
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { OCCUPANCY_STALE_MS } from '../../rollups/raw-events.ts'
import type { QueryFn } from '../../rollups/influx-query.ts'
import { stationFigureErrors } from '../errors.ts'
import { SeriesQuery } from '../figure-params.ts'
import { loadStationDays } from '../figures/day-source.ts'
import { aggOf, capacityMs, occupancyFigures, sumDays } from '../figures/figures.ts'
import { OccupancyFiguresSchema, Provenance } from '../figures/schemas.ts'
import { stationOr404 } from '../figures/station.ts'
import { StationParams } from '../params.ts'
import type { FigureRouteOptions } from './usage.ts'

const Row = OccupancyFiguresSchema.extend({
  start: z.string().describe('Start of the interval (UTC, ISO 8601)'),
  date: z.string().describe('Local calendar day'),
  hour: z.int().nullable().describe('Local hour (hour series), else null'),
  openMinutes: z.number().describe('Minutes of the interval inside opening hours')
})

export const OccupancyBody = z.object({
  stationId: z.string(),
  timezone: z.string(),
  capacity: z.int(),
  scope: z.enum(['open', 'all']),
  interval: z.enum(['hour', 'day']),
  live: z.object({ count: z.int(), at: z.string() }).nullable()
    .describe('Latest people count, if the counter reported in the last 10 minutes')
    .meta({ example: { count: 4, at: '2026-05-20T04:12:05.000Z' } }),
  series: z.array(Row).describe('Daily rows follow `scope`; hourly rows always cover the whole hour'),
  totals: OccupancyFiguresSchema,
  provenance: Provenance
}).meta({
  example: {
    stationId: 'sz-futian-001',
    timezone: 'Asia/Shanghai',
    capacity: 12,
    scope: 'open',
    interval: 'day',
    live: { count: 4, at: '2026-05-20T04:12:05.000Z' },
    series: [{ start: '2026-05-19T16:00:00.000Z', date: '2026-05-20', hour: null, openMinutes: 1440, meanOccupancy: 3.42, maxOccupancy: 12, utilisation: 0.285, minutesAtCapacity: 37.5, coverage: 0.9931 }],
    totals: { meanOccupancy: 3.42, maxOccupancy: 12, utilisation: 0.285, minutesAtCapacity: 37.5, coverage: 0.9931 },
    provenance: { rollupDays: 1, rawDays: 0 }
  }
})

async function liveCount (query: QueryFn, stationId: string): Promise<{ count: number, at: string } | null> {
  const [series = []] = await query(['SELECT last("count") AS "count" FROM "occupancy" WHERE "station" = $station AND time >= $since'],
    { station: stationId, since: new Date(Date.now() - OCCUPANCY_STALE_MS).toISOString() })
  const row = series[0]?.values[0]
  return row && typeof row[1] === 'number' ? { count: row[1], at: new Date(row[0] as number).toISOString() } : null
}

export const occupancyRoute: FastifyPluginAsyncZod<FigureRouteOptions> = async (app, { registry, figures }) => {
  app.get('/stations/:id/occupancy', {
    schema: {
      summary: 'Occupancy of a station',
      description: 'People inside as a step function of the counter messages (a count holds until the next message, at most 10 minutes).',
      tags: ['figures'],
      params: StationParams,
      querystring: SeriesQuery,
      response: { 200: OccupancyBody, ...stationFigureErrors }
    }
  }, async (request) => {
    const station = await stationOr404(registry, request.params.id)
    const { from, to, source, scope, interval } = request.query
    const [loaded, live] = await Promise.all([
      loadStationDays(figures, station, from, to, { source, streams: ['occupancy'], hours: interval === 'hour' }),
      liveCount(figures.query, station.id)
    ])
    const capacityOf = new Map(loaded.days.map((d) => [d.ymd, d.capacity]))
    const dateOf = new Map(loaded.days.map((d) => [d.ymd, d.date]))
    const series = interval === 'day'
      ? loaded.days.map((d) => ({
          start: new Date(d.start).toISOString(), date: d.date, hour: null, openMinutes: d.open.minutes,
          ...occupancyFigures(aggOf(d, scope), capacityMs([{ agg: aggOf(d, scope), capacity: d.capacity }]))
        }))
      : loaded.hours.map((h) => ({
          start: new Date(h.start).toISOString(), date: dateOf.get(h.ymd) ?? '', hour: h.hour, openMinutes: h.openMinutes,
          ...occupancyFigures(h.agg, capacityMs([{ agg: h.agg, capacity: capacityOf.get(h.ymd) ?? station.capacity }]))
        }))
    const totals = occupancyFigures(sumDays(loaded.days, scope), capacityMs(loaded.days.map((d) => ({ agg: aggOf(d, scope), capacity: d.capacity }))))
    return { stationId: station.id, timezone: station.timezone, capacity: station.capacity, scope, interval, live, series, totals, provenance: loaded.provenance }
  })
}
