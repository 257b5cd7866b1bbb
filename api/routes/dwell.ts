// GET /stations/:id/dwell: how long workers stay. Each granted entry pairs with the same
// worker's next door event at the station when that is an exit; otherwise, or past the cap,
// the stay counts as the cap.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { addDwell, dwellStats, emptyDwell } from '../../rollups/dwell.ts'
import { stationFigureErrors } from '../errors.ts'
import { DwellQuery } from '../figure-params.ts'
import { loadStationDays } from '../figures/day-source.ts'
import { Provenance } from '../figures/schemas.ts'
import { stationOr404 } from '../figures/station.ts'
import { StationParams } from '../params.ts'
import type { FigureRouteOptions } from './usage.ts'

export const DwellBody = z.object({
  stationId: z.string(),
  timezone: z.string(),
  from: z.string(),
  to: z.string(),
  capMinutes: z.int(),
  binMinutes: z.int(),
  entries: z.int().describe('Granted entries with a worker id, counted on the day of entry'),
  exitedWithinCap: z.int(),
  atCap: z.int().describe('Stays counted as the cap: longer than it, or no exit'),
  withoutExit: z.int().describe('Entries followed by another entry, or by no exit within 4 hours'),
  unidentified: z.int().describe('Granted entries without a worker id (not paired)'),
  medianMinutes: z.int().nullable().describe('Nearest-rank median of whole minutes (floored), capped'),
  p90Minutes: z.int().nullable().describe('Nearest-rank 90th percentile'),
  meanMinutes: z.number().nullable(),
  histogram: z.array(z.object({ fromMinutes: z.int(), toMinutes: z.int(), count: z.int() }))
    .describe('Stays below the cap by [fromMinutes, toMinutes); stays at the cap are in atCap')
    .meta({ example: [{ fromMinutes: 0, toMinutes: 10, count: 120 }, { fromMinutes: 10, toMinutes: 20, count: 210 }] }),
  provenance: Provenance
}).meta({
  description: 'Dwell time',
  example: {
    stationId: 'sz-futian-001', timezone: 'Asia/Shanghai', from: '2026-05-01', to: '2026-05-31', capMinutes: 120, binMinutes: 30,
    entries: 9800, exitedWithinCap: 9650, atCap: 150, withoutExit: 140, unidentified: 12,
    medianMinutes: 11, p90Minutes: 24, meanMinutes: 14.2,
    histogram: [{ fromMinutes: 0, toMinutes: 30, count: 9100 }, { fromMinutes: 30, toMinutes: 60, count: 480 }, { fromMinutes: 60, toMinutes: 90, count: 60 }, { fromMinutes: 90, toMinutes: 120, count: 10 }],
    provenance: { rollupDays: 31, rawDays: 0 }
  }
})

export const dwellRoute: FastifyPluginAsyncZod<FigureRouteOptions> = async (app, { registry, figures }) => {
  app.get('/stations/:id/dwell', {
    schema: {
      summary: 'Dwell time at a station',
      description: 'Median, 90th percentile and histogram of stays, in whole minutes, for entries on local days from..to.',
      tags: ['figures'],
      params: StationParams,
      querystring: DwellQuery,
      response: { 200: DwellBody, ...stationFigureErrors }
    }
  }, async (request) => {
    const station = await stationOr404(registry, request.params.id)
    const { from, to, source, cap, bin } = request.query
    const loaded = await loadStationDays(figures, station, from, to, { source, streams: ['door'], dwell: true })
    const dwell = emptyDwell()
    for (const d of loaded.days) addDwell(dwell, d.dwell)
    return { stationId: station.id, timezone: station.timezone, from, to, capMinutes: cap, binMinutes: bin, ...dwellStats(dwell, cap, bin), provenance: loaded.provenance }
  })
}
