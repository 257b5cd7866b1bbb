// GET /stations/:id/comfort: temperature, humidity, CO2 and PM2.5 series, the share of open
// time inside the comfort band, and the worst hours.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { stationFigureErrors } from '../errors.ts'
import { bandOf, ComfortQuery } from '../figure-params.ts'
import { loadStationDays } from '../figures/day-source.ts'
import { aggOf, comfortFigures, sumDays, worstHours } from '../figures/figures.ts'
import { ComfortFiguresSchema, Provenance } from '../figures/schemas.ts'
import { stationOr404 } from '../figures/station.ts'
import { StationParams } from '../params.ts'
import type { FigureRouteOptions } from './usage.ts'

const RangeOut = z.object({ min: z.number().nullable(), max: z.number().nullable() })
const Means = { temperature: z.number().nullable(), humidity: z.number().nullable(), co2: z.number().nullable(), pm25: z.number().nullable() }

export const ComfortBody = z.object({
  stationId: z.string(),
  timezone: z.string(),
  scope: z.enum(['open', 'all']),
  interval: z.enum(['hour', 'day']),
  band: z.object({ temperature: RangeOut, humidity: RangeOut, co2: RangeOut, pm25: RangeOut })
    .meta({ example: { temperature: { min: 18, max: 26 }, humidity: { min: 30, max: 70 }, co2: { min: null, max: 1000 }, pm25: { min: null, max: 50 } } }),
  series: z.array(ComfortFiguresSchema.extend({ start: z.string(), date: z.string(), hour: z.int().nullable(), openMinutes: z.number() })),
  totals: ComfortFiguresSchema,
  worstHours: z.array(z.object({ start: z.string(), date: z.string(), hour: z.int(), samples: z.int(), share: z.number(), ...Means }))
    .describe('Up to 5 hours (open hours for scope=open) with the lowest share of comfortable samples, with their mean values')
    .meta({ example: [{ start: '2026-07-14T06:00:00.000Z', date: '2026-07-14', hour: 14, samples: 60, share: 0.1, temperature: 28.4, humidity: 66.1, co2: 930, pm25: 21.5 }] }),
  provenance: Provenance
}).meta({
  example: {
    stationId: 'sz-futian-001',
    timezone: 'Asia/Shanghai',
    scope: 'open',
    interval: 'day',
    band: { temperature: { min: 18, max: 26 }, humidity: { min: 30, max: 70 }, co2: { min: null, max: 1000 }, pm25: { min: null, max: 50 } },
    series: [{
      start: '2026-07-13T16:00:00.000Z', date: '2026-07-14', hour: null, openMinutes: 1440, samples: 1440, comfortable: 1296, share: 0.9,
      temperature: { mean: 24.1, min: 22.3, max: 28.4, inBandShare: 0.93 }, humidity: { mean: 58.2, min: 49, max: 68, inBandShare: 1 },
      co2: { mean: 611, min: 421, max: 1120, inBandShare: 0.97 }, pm25: { mean: 18.3, min: 6.1, max: 44, inBandShare: 1 }
    }],
    totals: {
      samples: 1440, comfortable: 1296, share: 0.9,
      temperature: { mean: 24.1, min: 22.3, max: 28.4, inBandShare: 0.93 }, humidity: { mean: 58.2, min: 49, max: 68, inBandShare: 1 },
      co2: { mean: 611, min: 421, max: 1120, inBandShare: 0.97 }, pm25: { mean: 18.3, min: 6.1, max: 44, inBandShare: 1 }
    },
    worstHours: [{ start: '2026-07-14T06:00:00.000Z', date: '2026-07-14', hour: 14, samples: 60, share: 0.1, temperature: 28.4, humidity: 66.1, co2: 930, pm25: 21.5 }],
    provenance: { rollupDays: 1, rawDays: 0 }
  }
})

export const comfortRoute: FastifyPluginAsyncZod<FigureRouteOptions> = async (app, { registry, figures }) => {
  app.get('/stations/:id/comfort', {
    schema: {
      summary: 'Indoor comfort of a station',
      description: 'A sample is comfortable when every quantity it reports is inside the band (bounds included). Without band parameters the default band is used and read from rollups.',
      tags: ['figures'],
      params: StationParams,
      querystring: ComfortQuery,
      response: { 200: ComfortBody, ...stationFigureErrors }
    }
  }, async (request) => {
    const station = await stationOr404(registry, request.params.id)
    const { from, to, source, scope, interval } = request.query
    const band = bandOf(request.query)
    const loaded = await loadStationDays(figures, station, from, to, { source, streams: ['environment'], hours: true, band })
    const dateOf = new Map(loaded.days.map((d) => [d.ymd, d.date]))
    const series = interval === 'day'
      ? loaded.days.map((d) => ({ start: new Date(d.start).toISOString(), date: d.date, hour: null, openMinutes: d.open.minutes, ...comfortFigures(aggOf(d, scope)) }))
      : loaded.hours.map((h) => ({ start: new Date(h.start).toISOString(), date: dateOf.get(h.ymd) ?? '', hour: h.hour, openMinutes: h.openMinutes, ...comfortFigures(h.agg) }))
    return {
      stationId: station.id,
      timezone: station.timezone,
      scope,
      interval,
      band,
      series,
      totals: comfortFigures(sumDays(loaded.days, scope)),
      worstHours: worstHours(loaded.hours, scope),
      provenance: loaded.provenance
    }
  })
}
