// A report as tables for people (one per sheet); CSV writes the first, XLSX all of them. Each
// table has a title block above its heading row, and each cell a kind that says how its number
// is shown (XLSX number format; the text written to CSV).
import type { Kind } from './labels/index.ts'

export type Cell = string | number | null
export type Table = {
  name: string
  /** Rows above the headings: the report's title, station or fleet, month, zone, generated at. */
  title: Cell[][]
  columns: string[]
  rows: Cell[][]
  /** The kind of each cell of `rows` (same shape). */
  kinds: Kind[][]
}

// RFC 4180: quote fields with a comma, quote or line break; double the quotes. A leading
// = + - @ (or tab/CR) would make a spreadsheet run the cell as a formula: station names come
// from operators, so such text is prefixed with an apostrophe (OWASP "CSV injection").
// Numbers are never prefixed: a negative difference stays a number.
function csvField (v: Cell, kind: Kind = 'text'): string {
  if (v === null) return ''
  if (typeof v === 'number') return csvNumber(v, kind)
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** A number as the XLSX format would show it: Excel reads "81.3%" back as 0.813. */
function csvNumber (v: number, kind: Kind): string {
  if (!Number.isFinite(v)) return ''
  switch (kind) {
    case 'pct': return `${(v * 100).toFixed(1)}%`
    case 'dec1': return v.toFixed(1)
    case 'dec2': return v.toFixed(2)
    case 'int': return String(Math.round(v))
    default: return String(v)
  }
}

/**
 * UTF-8 with a BOM, CRLF line ends: what Excel and WPS open correctly, Chinese included. The
 * title block (if any) comes first, then an empty line, the headings and the rows.
 */
export function toCsv (t: Table): string {
  const lines = [
    ...(t.title.length === 0 ? [] : [...t.title.map((r) => r.map((v) => csvField(v)).join(',')), '']),
    t.columns.map((c) => csvField(c)).join(','),
    ...t.rows.map((r, i) => r.map((v, j) => csvField(v, t.kinds[i]?.[j])).join(','))
  ]
  return '\ufeff' + lines.join('\r\n') + '\r\n'
}
