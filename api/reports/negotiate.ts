// Which format a report is sent in: `?format=` when given, else what the Accept header asks for
// (RFC 9110 §12.5.1: the most specific matching range gives a type its weight; q=0 refuses it).
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
export const REPORT_TYPES = { json: 'application/json', csv: 'text/csv', xlsx: XLSX_TYPE } as const
export type ReportFormat = keyof typeof REPORT_TYPES
// On equal weight (e.g. */*), the first: JSON, as before content negotiation.
const PREFERENCE: ReportFormat[] = ['json', 'csv', 'xlsx']

type Range = { type: string, subtype: string, q: number }

function parseAccept (accept: string): Range[] {
  return accept.split(',').flatMap((part): Range[] => {
    const [media = '', ...params] = part.trim().split(';')
    const m = /^([a-z0-9!#$%&'*+.^_`|~-]+)\/([a-z0-9!#$%&'*+.^_`|~-]+)$/i.exec(media.trim())
    if (!m) return []
    const qParam = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)).find(Boolean)
    const q = qParam ? Number(qParam[1]) : 1
    return Number.isFinite(q) ? [{ type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), q }] : []
  })
}

/** The weight the Accept ranges give `mediaType`: that of the most specific matching range, or 0. */
function weight (ranges: readonly Range[], mediaType: string): number {
  const [type, subtype] = mediaType.split('/') as [string, string]
  let best = -1
  let q = 0
  for (const r of ranges) {
    const specificity = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === '*' ? 1 : r.type === '*' && r.subtype === '*' ? 0 : -1
    if (specificity > best) { best = specificity; q = r.q }
  }
  return q
}

/** The format to send, or null when Accept allows none of them (406). */
export function reportFormat (query: ReportFormat | undefined, accept: string | undefined): ReportFormat | null {
  if (query) return query
  if (accept === undefined || accept.trim() === '') return 'json'
  const ranges = parseAccept(accept)
  if (ranges.length === 0) return 'json' // nothing we can read: as if no preference was given
  let chosen: ReportFormat | null = null
  let chosenQ = 0
  for (const f of PREFERENCE) {
    const q = weight(ranges, REPORT_TYPES[f])
    if (q > chosenQ) { chosen = f; chosenQ = q }
  }
  return chosen
}
