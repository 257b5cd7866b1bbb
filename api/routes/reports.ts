// GET /stations/:id/reports/:month and /fleet/reports/:month: the monthly report as JSON, CSV
// or XLSX (a download for staff: `Content-Disposition: attachment`), chosen by ?format= or the
// Accept header; CSV and XLSX in the language of ?lang= or Accept-Language (zh-CN by default).
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { StationId } from '../../contract/index.ts'
import { callerScope } from '../auth/station-access.ts'
import { ErrorBody, errorResponses } from '../errors.ts'
import { District, Month, ReportFormat, ReportLang, StationList } from '../figure-params.ts'
import { stationOr404 } from '../figures/station.ts'
import { acceptedEncoding, sendCached } from '../fleet-cache/send-cached.ts'
import { alertSummary } from '../reports/alert-summary.ts'
import { fleetReport, stationReport } from '../reports/monthly-report.ts'
import { REPORT_TYPES, XLSX_TYPE } from '../reports/negotiate.ts'
import { negotiateReport, reportHeaders, sendReport } from '../reports/report-reply.ts'
import { fleetTables, stationTables } from '../reports/report-tables.ts'
import { selectStations } from './fleet.ts'
import type { FigureRouteOptions } from './usage.ts'

const Report = z.object({
  kind: z.enum(['station', 'fleet']),
  month: z.string()
}).catchall(z.unknown()).describe('JSON (format=json or Accept: application/json): summary, per-day (station) or per-station (fleet) rows and provenance, with machine keys. CSV (text/csv): a title block, then the first table (days, or stations) with headings in the chosen language. XLSX: one sheet per table and a Summary sheet, each with the title block, headings and number formats.')
  .meta({ example: { kind: 'station', month: '2026-05', station: { id: 'sz-futian-001' }, summary: { visits: 10412, uniqueWorkers: 1398 }, days: [{ date: '2026-05-01', visits: 341 }] } })

const responses = {
  200: Report,
  ...errorResponses,
  404: ErrorBody.describe('No such station'),
  406: ErrorBody.describe(`The Accept header allows none of ${Object.values(REPORT_TYPES).join(', ')}`),
  503: ErrorBody.describe('Time-series store unavailable')
}

export const reportsRoute: FastifyPluginAsyncZod<FigureRouteOptions> = async (app, { registry, figures, fleetCache }) => {
  app.get('/stations/:id/reports/:month', {
    schema: {
      summary: 'Monthly report of a station',
      description: 'Usage, occupancy, dwell, comfort and completeness of a local calendar month, in total and per day.',
      tags: ['figures'],
      params: z.object({ id: StationId, month: Month.meta({ example: '2026-05' }) }),
      querystring: z.object({ format: ReportFormat, lang: ReportLang }),
      response: responses
    }
  }, async (request, reply) => {
    const chosen = negotiateReport(request.query, request.headers, reply)
    const station = await stationOr404(registry, request.params.id)
    const report = await stationReport(figures, station, request.params.month, await alertSummary(registry.alerts, [station], request.params.month))
    const now = new Date()
    return sendReport(reply, chosen, `waystation-${station.id}-${request.params.month}`, report, (lang) => stationTables(report, lang, now)) as never
  })

  app.get('/fleet/reports/:month', {
    schema: {
      summary: 'Monthly report of the fleet',
      description: 'Every station (or a district, or a list) ranked by visits, district totals, and fleet-wide distinct workers.',
      tags: ['figures'],
      params: z.object({ month: Month.meta({ example: '2026-05' }) }),
      querystring: z.object({ format: ReportFormat, lang: ReportLang, stations: StationList, district: District }),
      response: responses
    }
  }, async (request, reply) => {
    const chosen = negotiateReport(request.query, request.headers, reply)
    const scope = callerScope(request)
    // A complete month: from the cache (api/fleet-cache/), computed once per change of its rollups.
    const cached = await fleetCache?.report(request.params.month, request.query, scope, chosen.format, chosen.lang, acceptedEncoding(request.headers))
    if (cached) {
      reportHeaders(reply, chosen, `waystation-fleet-${request.params.month}`)
      return sendCached(reply, cached, chosen.format === 'json' ? 'application/json; charset=utf-8' : chosen.format === 'csv' ? 'text/csv; charset=utf-8' : XLSX_TYPE) as never
    }
    const { stations, everyStation } = await selectStations(registry, request.query, scope)
    const report = await fleetReport(figures, stations, request.params.month, everyStation, await alertSummary(registry.alerts, stations, request.params.month))
    const now = new Date()
    return sendReport(reply, chosen, `waystation-fleet-${request.params.month}`, report, (lang) => fleetTables(report, everyStation, lang, now)) as never
  })
}
