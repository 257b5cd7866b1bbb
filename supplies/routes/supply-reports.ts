// GET /stations/:id/reports/:month/supplies and /fleet/reports/:month/supplies: the monthly
// supplies report (consumed, restocked by source with each donor's figures, cost where prices
// are set) as JSON, CSV or XLSX, negotiated like the other monthly reports (api/routes/reports.ts).
// Scope: a station outside a scoped token's view is a 404 (api/auth/station-access.ts); the fleet
// report covers only the stations the token sees.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { StationId } from '../../contract/index.ts'
import { callerScope } from '../../api/auth/station-access.ts'
import { ErrorBody, errorResponses } from '../../api/errors.ts'
import { District, Month, ReportFormat, ReportLang, StationList } from '../../api/figure-params.ts'
import { stationOr404 } from '../../api/figures/station.ts'
import type { Lang } from '../../api/reports/labels/index.ts'
import { REPORT_TYPES, type ReportFormat as Format } from '../../api/reports/negotiate.ts'
import { negotiateReport, sendReport } from '../../api/reports/report-reply.ts'
import type { Table } from '../../api/reports/table.ts'
import { selectStations } from '../../api/routes/fleet.ts'
import type { Registry } from '../../registry/open-registry.ts'
import type { QueryFn } from '../../rollups/influx-query.ts'
import { fleetSupplyJson, stationSupplyJson } from '../report/supply-report-json.ts'
import { fleetSupplyTables, stationSupplyTables } from '../report/supply-report-tables.ts'

export type SupplyReportOptions = { registry: Registry, query: QueryFn, now: () => number }

const Report = z.object({ kind: z.enum(['station-supplies', 'fleet-supplies']), month: z.string() }).catchall(z.unknown())
  .describe('JSON: summary, items and donors (station) or stations, districts, items and donors (fleet), with machine keys; units are shelf units, money in yuan (null without a unit price). CSV: a title block and the first table (items, or stations). XLSX: every table and a summary sheet.')
  .meta({ example: { kind: 'station-supplies', month: '2026-05', summary: { consumed: 4210, restocked: 4300, purchased: 1300, donated: 3000, unlogged: 0, purchaseCost: 1950, donatedValue: 4500, consumedValue: 6315, donors: 1 }, donors: [{ donor: '合肥饮用水公司', item: 'bottled-water', quantity: 3000, value: 4500 }] } })

const responses = {
  200: Report,
  ...errorResponses,
  404: ErrorBody.describe('No such station (or none in view)'),
  406: ErrorBody.describe(`The Accept header allows none of ${Object.values(REPORT_TYPES).join(', ')}`),
  503: ErrorBody.describe('Time-series store unavailable')
}

/** Negotiates first (a 406 before any work), then sends what the handler built. */
function answer (request: FastifyRequest<{ Querystring: { format?: Format | undefined, lang?: Lang | undefined } }>, reply: FastifyReply) {
  const chosen = negotiateReport(request.query, request.headers, reply)
  return (basename: string, json: object, tables: (lang: Lang) => Table[]) => sendReport(reply, chosen, basename, json, tables)
}

export const supplyReportsRoute: FastifyPluginAsyncZod<SupplyReportOptions> = async (app, { registry, query, now }) => {
  app.get('/stations/:id/reports/:month/supplies', {
    schema: {
      summary: 'Monthly supplies report of a station',
      description: 'Per item of a local calendar month: consumed (shelf sensor steps down, or between hand counts), restocked by source (purchase, donation, unlogged sensor jump), each donor\'s figures, cost and value where the catalog sets a unit price.',
      tags: ['supplies'],
      params: z.object({ id: StationId, month: Month.meta({ example: '2026-05' }) }),
      querystring: z.object({ format: ReportFormat, lang: ReportLang }),
      response: responses
    }
  }, async (request, reply) => {
    const send = answer(request, reply)
    const station = await stationOr404(registry, request.params.id)
    const report = await stationSupplyJson(registry, query, station, request.params.month)
    return send(`waystation-${station.id}-${request.params.month}-supplies`, report, (lang) => stationSupplyTables(report, lang, new Date(now()))) as never
  })

  app.get('/fleet/reports/:month/supplies', {
    schema: {
      summary: 'Monthly supplies report of the fleet or a district',
      description: 'Every station in view (or a district, or a list): consumed and restocked by source, per station, district and item, and each donor\'s figures over the stations.',
      tags: ['supplies'],
      params: z.object({ month: Month.meta({ example: '2026-05' }) }),
      querystring: z.object({ format: ReportFormat, lang: ReportLang, stations: StationList, district: District }),
      response: responses
    }
  }, async (request, reply) => {
    const send = answer(request, reply)
    const { stations, everyStation } = await selectStations(registry, request.query, callerScope(request))
    const report = await fleetSupplyJson(registry, query, stations, request.params.month)
    const scope = everyStation ? null : request.query.district ?? stations.map((s) => s.id).sort().slice(0, 10).join(', ') + (stations.length > 10 ? ', …' : '')
    return send(`waystation-fleet-${request.params.month}-supplies`, report, (lang) => fleetSupplyTables(report, scope, lang, new Date(now()))) as never
  })
}
