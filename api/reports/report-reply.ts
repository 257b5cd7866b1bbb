// Answering a monthly report (usage, supplies): the format and language are negotiated before
// any work (406 when Accept allows no format), then the report goes out as JSON, or as a CSV or
// XLSX download in that language. Shared by api/routes/reports.ts and supplies/routes.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { httpError } from '../errors.ts'
import { reportLang, type Lang } from './labels/index.ts'
import { reportFormat, REPORT_TYPES, XLSX_TYPE, type ReportFormat } from './negotiate.ts'
import { toCsv, type Table } from './table.ts'
import { toXlsx } from './xlsx.ts'

export type NegotiatedReport = { format: ReportFormat, lang: Lang }

/** Format and language of the answer, from ?format=/?lang= or Accept/Accept-Language. */
export function negotiateReport (query: { format?: ReportFormat | undefined, lang?: Lang | undefined }, headers: FastifyRequest['headers'], reply: FastifyReply): NegotiatedReport {
  // Caches must key on what the answer depends on.
  reply.header('vary', 'Accept, Accept-Language')
  const format = reportFormat(query.format, headers.accept)
  if (!format) throw httpError(406, `cannot answer with ${JSON.stringify(headers.accept)}: this report is available as ${Object.values(REPORT_TYPES).join(', ')} (or ask with ?format=json|csv|xlsx)`)
  return { format, lang: reportLang(query.lang, headers['accept-language']) }
}

/** A CSV or XLSX is a download, in a language (nothing for JSON). */
export function reportHeaders (reply: FastifyReply, { format, lang }: NegotiatedReport, basename: string): void {
  if (format === 'json') return
  reply.header('content-disposition', `attachment; filename="${basename}.${format}"`)
  reply.header('content-language', lang)
}

/** The JSON as it is, or the tables (built only then, in the negotiated language) as a download. */
export function sendReport (reply: FastifyReply, { format, lang }: NegotiatedReport, basename: string, json: object, tables: (lang: Lang) => Table[]): object | string | Buffer {
  if (format === 'json') return json
  reportHeaders(reply, { format, lang }, basename)
  if (format === 'csv') { reply.type('text/csv; charset=utf-8'); return toCsv(tables(lang)[0]!) }
  reply.type(XLSX_TYPE)
  return toXlsx(tables(lang))
}
