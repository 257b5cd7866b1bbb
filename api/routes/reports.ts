// GET /stations/:id/reports/:month and /fleet/reports/:month: the monthly report as JSON, CSV
// or XLSX (a download for staff: `Content-Disposition: attachment`).
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { StationId } from '../../contract/index.ts'
import { callerScope } from '../auth/station-access.ts'
import { ErrorBody, errorResponses } from '../errors.ts'
import { District, Month, ReportFormat, StationList } from '../figure-params.ts'
import { stationOr404 } from '../figures/station.ts'
import { fleetReport, stationReport } from '../reports/monthly-report.ts'
import { toCsv, type Table } from '../reports/table.ts'
import { toXlsx } from '../reports/xlsx.ts'
import { selectStations } from './fleet.ts'
import type { FigureRouteOptions } from './usage.ts'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

const Report = z.object({
  kind: z.enum(['station', 'fleet']),
  month: z.string()
}).catchall(z.unknown()).describe('With format=json: summary, per-day (station) or per-station (fleet) rows and provenance. CSV: the first table (days, or stations) with a header row. XLSX: one sheet per table and a Summary sheet.')
  .meta({ example: { kind: 'station', month: '2026-05', station: { id: 'sz-futian-001' }, summary: { visits: 10412, uniqueWorkers: 1398 }, days: [{ date: '2026-05-01', visits: 341 }] } })

const responses = {
  200: Report,
  ...errorResponses,
  404: ErrorBody.describe('No such station'),
  503: ErrorBody.describe('Time-series store unavailable')
}

type Reply = { header: (k: string, v: string) => unknown, type: (t: string) => unknown }

function send (reply: Reply, format: 'json' | 'csv' | 'xlsx', basename: string, report: { json: object, tables: Table[] }): object | string | Buffer {
  if (format === 'json') return report.json
  reply.header('content-disposition', `attachment; filename="${basename}.${format}"`)
  if (format === 'csv') { reply.type('text/csv; charset=utf-8'); return toCsv(report.tables[0]!) }
  reply.type(XLSX)
  return toXlsx(report.tables)
}

export const reportsRoute: FastifyPluginAsyncZod<FigureRouteOptions> = async (app, { registry, figures }) => {
  app.get('/stations/:id/reports/:month', {
    schema: {
      summary: 'Monthly report of a station',
      description: 'Usage, occupancy, dwell, comfort and completeness of a local calendar month, in total and per day.',
      tags: ['figures'],
      params: z.object({ id: StationId, month: Month.meta({ example: '2026-05' }) }),
      querystring: z.object({ format: ReportFormat }),
      response: responses
    }
  }, async (request, reply) => {
    const station = stationOr404(registry, request.params.id)
    const report = await stationReport(figures, station, request.params.month)
    return send(reply, request.query.format, `waystation-${station.id}-${request.params.month}`, report) as never
  })

  app.get('/fleet/reports/:month', {
    schema: {
      summary: 'Monthly report of the fleet',
      description: 'Every station (or a district, or a list) ranked by visits, district totals, and fleet-wide distinct workers.',
      tags: ['figures'],
      params: z.object({ month: Month.meta({ example: '2026-05' }) }),
      querystring: z.object({ format: ReportFormat, stations: StationList, district: District }),
      response: responses
    }
  }, async (request, reply) => {
    const { stations, everyStation } = selectStations(registry, request.query, callerScope(request))
    const report = await fleetReport(figures, stations, request.params.month, everyStation)
    return send(reply, request.query.format, `waystation-fleet-${request.params.month}`, report) as never
  })
}
