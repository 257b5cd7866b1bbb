// GET /stations/:id/reports/:month and /fleet/reports/:month: the monthly report as JSON, CSV
// or XLSX (a download for staff: `Content-Disposition: attachment`), chosen by ?format= or the
// Accept header; CSV and XLSX in the language of ?lang= or Accept-Language (zh-CN by default).
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { StationId } from '../../contract/index.ts'
import { callerScope } from '../auth/station-access.ts'
import { ErrorBody, errorResponses, httpError } from '../errors.ts'
import { District, Month, ReportFormat, ReportLang, StationList } from '../figure-params.ts'
import { stationOr404 } from '../figures/station.ts'
import { reportLang, type Lang } from '../reports/labels/index.ts'
import { alertSummary } from '../reports/alert-summary.ts'
import { fleetReport, stationReport } from '../reports/monthly-report.ts'
import { reportFormat, REPORT_TYPES, XLSX_TYPE, type ReportFormat as Format } from '../reports/negotiate.ts'
import { fleetTables, stationTables } from '../reports/report-tables.ts'
import { toCsv, type Table } from '../reports/table.ts'
import { toXlsx } from '../reports/xlsx.ts'
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

type Negotiated = { format: Format, lang: Lang }

/** Format and language of the answer, decided before any work; 406 when Accept allows no format. */
function negotiate (query: { format?: Format | undefined, lang?: Lang | undefined }, headers: FastifyRequest['headers'], reply: FastifyReply): Negotiated {
  // Caches must key on what the answer depends on.
  reply.header('vary', 'Accept, Accept-Language')
  const format = reportFormat(query.format, headers.accept)
  if (!format) throw httpError(406, `cannot answer with ${JSON.stringify(headers.accept)}: this report is available as ${Object.values(REPORT_TYPES).join(', ')} (or ask with ?format=json|csv|xlsx)`)
  return { format, lang: reportLang(query.lang, headers['accept-language']) }
}

function send (reply: FastifyReply, { format, lang }: Negotiated, basename: string, json: object, tables: (lang: Lang) => Table[]): object | string | Buffer {
  if (format === 'json') return json
  reply.header('content-disposition', `attachment; filename="${basename}.${format}"`)
  reply.header('content-language', lang)
  if (format === 'csv') { reply.type('text/csv; charset=utf-8'); return toCsv(tables(lang)[0]!) }
  reply.type(XLSX_TYPE)
  return toXlsx(tables(lang))
}

export const reportsRoute: FastifyPluginAsyncZod<FigureRouteOptions> = async (app, { registry, figures }) => {
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
    const chosen = negotiate(request.query, request.headers, reply)
    const station = stationOr404(registry, request.params.id)
    const report = await stationReport(figures, station, request.params.month, alertSummary(registry.alerts, [station], request.params.month))
    const now = new Date()
    return send(reply, chosen, `waystation-${station.id}-${request.params.month}`, report, (lang) => stationTables(report, lang, now)) as never
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
    const chosen = negotiate(request.query, request.headers, reply)
    const { stations, everyStation } = selectStations(registry, request.query, callerScope(request))
    const report = await fleetReport(figures, stations, request.params.month, everyStation, alertSummary(registry.alerts, stations, request.params.month))
    const now = new Date()
    return send(reply, chosen, `waystation-fleet-${request.params.month}`, report, (lang) => fleetTables(report, everyStation, lang, now)) as never
  })
}
