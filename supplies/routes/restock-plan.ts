// GET /restock-plan: what to bring where, in which trips, for the stations the caller's token
// may see (a district's with `district`), as JSON, CSV or a printable run sheet
// (supplies/plan/, docs/supplies.md "Restock plan"). Viewer may read it; recording a restock
// is POST /stations/:id/supplies/restocks (operator).
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { visibleStations } from '../../api/auth/station-access.ts'
import { errorResponses, httpError, stationFigureErrors } from '../../api/errors.ts'
import { toCsv } from '../../api/reports/table.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { parseLatLon } from '../plan/geo.ts'
import { langOf } from '../plan/plan-labels.ts'
import { toPlanInputs } from '../plan/plan-input.ts'
import { RestockPlan } from '../plan/plan-schema.ts'
import { planTable } from '../plan/plan-table.ts'
import { buildRestockPlan } from '../plan/restock-plan.ts'
import { RUN_SHEET_CSP, runSheet } from '../plan/run-sheet.ts'
import type { CatalogItem } from '../schemas.ts'
import type { SupplyModel } from '../supply-model.ts'

export type RestockPlanRouteOptions = { registry: Registry, model: SupplyModel, now: () => number, maxAgeMs: number }

const MAX_HORIZON_H = 24 * 14

/** `24h`, `90m`, `2d` or a number of hours. */
const Duration = (name: string, dflt: string) => z.string().default(dflt)
  .transform((s, ctx) => {
    const m = /^(\d+(?:\.\d+)?)\s*([mhd]?)$/.exec(s.trim())
    const hours = m === null ? Number.NaN : Number(m[1]) * ({ m: 1 / 60, h: 1, d: 24, '': 1 } as const)[m[2] as 'm' | 'h' | 'd' | '']
    if (!(hours > 0 && hours <= MAX_HORIZON_H)) { ctx.addIssue({ code: 'custom', message: `${name}: expected a duration such as 24h, 90m or 2d, at most ${MAX_HORIZON_H}h` }); return z.NEVER }
    return hours
  })

const Query = z.object({
  depot: z.string().min(1).max(100).describe('Where trips start and end: `lat,lon` or a station id').meta({ example: '22.543,114.058' }),
  district: z.string().trim().min(1).max(100).optional().describe('Only stations of this district'),
  horizon: Duration('horizon', '24h').describe('Plan items reaching their threshold within this time (default 24h)'),
  urgent: Duration('urgent', '6h').describe('Items empty within this time are urgent and ride the first trips (default 6h)'),
  capacity: z.coerce.number().int().min(1).max(1_000_000).optional().describe('Units the vehicle carries per trip (default: no limit, one trip)'),
  format: z.enum(['json', 'csv', 'html']).default('json').describe('json, csv (UTF-8 with BOM) or html (printable A4 run sheet); also by Accept'),
  lang: z.enum(['zh', 'en']).optional().describe('CSV headings and run sheet language (default: Accept-Language, else zh)')
})

export const restockPlanRoute: FastifyPluginAsyncZod<RestockPlanRouteOptions> = async (app, { registry, model, now, maxAgeMs }) => {
  app.get('/restock-plan', {
    schema: {
      summary: 'Restock plan: what to bring where, in trips from a depot',
      description: 'Every station-item of the stations in view that reaches its reorder threshold within the horizon, the quantity to refill it, ' +
        'priority by time to empty, and the stops ordered into closed trips depot → stops → depot that each fit the vehicle. See docs/supplies.md.',
      tags: ['supplies'],
      querystring: Query,
      response: { 200: RestockPlan, ...errorResponses, 404: stationFigureErrors[404].describe('Depot station or district not in view'), 503: stationFigureErrors[503] }
    }
  }, async (request, reply) => {
    const q = request.query
    const all = visibleStations(request, await registry.listStations()).filter((s) => s.status !== 'retired')
    const stations = all.filter((s) => q.district === undefined || s.district === q.district)
    // A district outside the caller's scope is answered like one that does not exist.
    if (q.district !== undefined && stations.length === 0) throw httpError(404, 'no station matches')
    let depot = parseLatLon(q.depot)
    let depotStation = null
    if (depot === null) {
      depotStation = all.find((s) => s.id === q.depot) ?? null
      if (depotStation === null) throw httpError(404, `depot: station ${q.depot} not found (give lat,lon or a station id)`)
      if (depotStation.lat === null || depotStation.lon === null) throw httpError(400, `depot: station ${q.depot} has no coordinates`)
      depot = { lat: depotStation.lat, lon: depotStation.lon }
    }
    const ids = stations.map((s) => s.id)
    const t = now()
    await model.refreshStale(ids, maxAgeMs, t)
    const forecast = await model.forecastStationItems(ids, q.horizon, t)
    const catalog = new Map<string, CatalogItem>()
    for (const id of new Set(forecast.map((f) => f.stationId))) for (const c of await registry.supplies.items(id)) catalog.set(`${id}\u0000${c.item}`, c)
    const { inputs, unplannable } = toPlanInputs(forecast, (s, i) => catalog.get(`${s}\u0000${i}`) ?? null)
    const plan = buildRestockPlan(inputs, stations, unplannable, {
      depot: { ...depot, stationId: depotStation?.id ?? null, name: depotStation?.name ?? null },
      horizonHours: q.horizon, urgentHours: q.urgent, capacity: q.capacity ?? null, now: t
    })
    const accept = request.headers.accept ?? ''
    const format = request.query.format !== 'json' ? request.query.format : /text\/csv/.test(accept) ? 'csv' : /text\/html/.test(accept) && !/application\/json/.test(accept) ? 'html' : 'json'
    const lang = langOf(q.lang, request.headers['accept-language'])
    reply.header('vary', 'accept, accept-language')
    if (format === 'csv') {
      reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="restock-plan-${plan.generatedAt.slice(0, 10)}.csv"`)
      return toCsv(planTable(plan, lang)) as never
    }
    if (format === 'html') {
      reply.type('text/html; charset=utf-8').header('content-security-policy', RUN_SHEET_CSP)
      return runSheet(plan, lang) as never
    }
    return plan
  })
}
