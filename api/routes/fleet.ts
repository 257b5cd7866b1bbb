// GET /fleet/summary: every station's figures over a range, ranked, with district totals.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from '../../registry/open-registry.ts'
import type { StationScope } from '../../registry/schemas.ts'
import { callerScope, stationNotFound } from '../auth/station-access.ts'
import { stationInScope } from '../auth/station-scope.ts'
import { errorResponses, ErrorBody, httpError } from '../errors.ts'
import { FleetQuery } from '../figure-params.ts'
import type { FigureSource } from '../figures/day-source.ts'
import { districtsOf, loadFleet, rank, stationSummary, type FleetMetric } from '../figures/fleet.ts'
import { acceptedEncoding, sendCached } from '../fleet-cache/send-cached.ts'
import { UsageFiguresSchema } from '../figures/schemas.ts'
import { stationInfo, stationOr404, type StationInfo } from '../figures/station.ts'
import type { FigureRouteOptions } from './usage.ts'

export const StationSummarySchema = UsageFiguresSchema.omit({ from: true, to: true }).extend({
  rank: z.int().describe('By the `sort` metric, highest first; equal values share a rank'),
  stationId: z.string(),
  name: z.string(),
  district: z.string(),
  utilisation: z.number().nullable().describe('Mean occupancy / capacity during opening hours'),
  meanOccupancy: z.number().nullable(),
  maxOccupancy: z.int().nullable(),
  minutesAtCapacity: z.number(),
  comfortShare: z.number().nullable().describe('Share of environment samples in opening hours inside the default comfort band'),
  environmentShare: z.number().nullable().describe('Share of expected environment minutes received (opening hours)'),
  occupancyGaps: z.int().describe('Gaps in the occupancy stream, summed over days'),
  incompleteDays: z.int().describe('Days that are not complete (see /stations/{id}/completeness)'),
  busiestHour: z.object({ hour: z.int(), entries: z.int() }).nullable()
})

export const FleetBody = z.object({
  from: z.string(),
  to: z.string(),
  sort: z.string(),
  stations: z.array(StationSummarySchema),
  districts: z.array(z.object({
    rank: z.int(), district: z.string(), stations: z.int(), visits: z.int(), denied: z.int(),
    firstTimeVisitors: z.int().nullable(), counterEntries: z.int().nullable()
  })).describe('Stations grouped by their registry district, ranked by visits').meta({
    example: [{ rank: 1, district: '福田区', stations: 12, visits: 120345, denied: 2301, firstTimeVisitors: 8123, counterEntries: 121002 }]
  }),
  totals: z.object({ stations: z.int(), visits: z.int(), denied: z.int(), firstTimeVisitors: z.int().nullable(), counterEntries: z.int().nullable() })
    .describe('Sums over the stations. Distinct workers are per station only (the monthly fleet report has the fleet-wide figure).'),
  provenance: z.object({ rollupDays: z.int(), rawDays: z.int(), pendingDays: z.int().describe('Days read from a rollup that the job is about to recompute (figures a few minutes old)') })
}).meta({
  example: {
    from: '2026-05-01',
    to: '2026-05-31',
    sort: 'visits',
    stations: [{
      rank: 1, stationId: 'sz-futian-001', name: '福田区爱心驿站', district: '福田区',
      visits: 10412, uniqueWorkers: 1398, denied: 211, counterEntries: 10530, counterMinusDoor: 118, firstTimeVisitors: 1043, entriesOutsideOpeningHours: 0,
      utilisation: 0.285, meanOccupancy: 3.42, maxOccupancy: 12, minutesAtCapacity: 37.5, comfortShare: 0.91, environmentShare: 0.998,
      occupancyGaps: 2, incompleteDays: 1, busiestHour: { hour: 12, entries: 1210 }
    }],
    districts: [{ rank: 1, district: '福田区', stations: 1, visits: 10412, denied: 211, firstTimeVisitors: 1043, counterEntries: 10530 }],
    totals: { stations: 1, visits: 10412, denied: 211, firstTimeVisitors: 1043, counterEntries: 10530 },
    provenance: { rollupDays: 30, rawDays: 1, pendingDays: 0 }
  }
})
export type FleetBody = z.infer<typeof FleetBody>

/**
 * The stations a fleet figure covers: those asked for (a list, a district, or all) among those
 * the caller's `scope` lets it see. A listed station outside the scope is a 404 like an unknown
 * one, and rankings, district counts and totals are computed over the visible stations only.
 * `all`: every station, when the caller has just listed them (the fleet cache does).
 */
export async function selectStations (registry: Registry, q: { stations?: string[] | undefined, district?: string | undefined }, scope: StationScope, all?: readonly StationInfo[]): Promise<{ stations: StationInfo[], everyStation: boolean }> {
  const visible = (s: StationInfo) => stationInScope(scope, s)
  let stations = q.stations
    ? await Promise.all(q.stations.map(async (id) => { const s = await stationOr404(registry, id); if (!visible(s)) throw stationNotFound(id); return s }))
    : (all ?? (await registry.listStations()).map(stationInfo)).filter(visible)
  if (q.district !== undefined) stations = stations.filter((s) => s.district === q.district)
  if (stations.length === 0) throw httpError(404, 'no station matches')
  // "Every station" lets the figures read fleet-wide rollups: only for a caller who sees them all.
  return { stations, everyStation: scope.kind === 'all' && !q.stations && q.district === undefined }
}

export type FleetSummaryQuery = { from: string, to: string, sort: FleetMetric, stations?: string[] | undefined, district?: string | undefined }

/** The answer of /fleet/summary, computed (the route and the cache share it). */
export async function fleetSummary (registry: Registry, figures: FigureSource, query: FleetSummaryQuery, scope: StationScope, all?: readonly StationInfo[]): Promise<FleetBody> {
  const { from, to, sort } = query
  const { stations, everyStation } = await selectStations(registry, query, scope, all)
  const { periods, provenance } = await loadFleet(figures, stations, from, to, everyStation)
  const rows = periods.map((p) => stationSummary(p, from, to))
  const sum = (f: (r: typeof rows[number]) => number | null) => rows.some((r) => f(r) === null) ? null : rows.reduce((n, r) => n + (f(r) ?? 0), 0)
  return {
    from,
    to,
    sort,
    stations: rank(rows, sort),
    districts: districtsOf(rows),
    totals: {
      stations: rows.length,
      visits: rows.reduce((n, r) => n + r.visits, 0),
      denied: rows.reduce((n, r) => n + r.denied, 0),
      firstTimeVisitors: sum((r) => r.firstTimeVisitors),
      counterEntries: rows.some((r) => r.counterEntries !== null) ? rows.reduce((n, r) => n + (r.counterEntries ?? 0), 0) : null
    },
    provenance
  }
}

export const fleetRoute: FastifyPluginAsyncZod<FigureRouteOptions> = async (app, { registry, figures, fleetCache }) => {
  app.get('/fleet/summary', {
    schema: {
      summary: 'Figures of every station, ranked',
      description: 'Visits, distinct workers, first-time visitors, utilisation, comfort and completeness per station over local days from..to (each station in its own time zone), with district totals. Only the stations the token may see: a scoped token\'s rankings, district counts and totals cover its stations alone.',
      tags: ['figures'],
      querystring: FleetQuery,
      response: { 200: FleetBody, ...errorResponses, 404: ErrorBody.describe('An unknown station id, or no station matches'), 503: ErrorBody.describe('Time-series store unavailable') }
    }
  }, async (request, reply) => {
    const scope = callerScope(request)
    // A whole complete month: from the cache (api/fleet-cache/), encoded and compressed once.
    const cached = await fleetCache?.summary(request.query, scope, acceptedEncoding(request.headers))
    if (cached) return sendCached(reply, cached, 'application/json; charset=utf-8') as never
    return await fleetSummary(registry, figures, request.query, scope)
  })
}
