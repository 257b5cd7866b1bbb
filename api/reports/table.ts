// A report as tables (one per sheet); CSV writes the first, XLSX all of them.
export type Cell = string | number | boolean | null
export type Table = { name: string, columns: string[], rows: Cell[][] }

// RFC 4180: quote fields with a comma, quote or line break; double the quotes. A leading
// = + - @ (or tab/CR) would make a spreadsheet run the cell as a formula: station names come
// from operators, so such text is prefixed with an apostrophe (OWASP "CSV injection").
function csvField (v: Cell): string {
  if (v === null) return ''
  if (typeof v !== 'string') return String(v)
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** UTF-8 with a BOM, CRLF line ends: what Excel and WPS open correctly, Chinese names included. */
export function toCsv (t: Table): string {
  return '\ufeff' + [t.columns, ...t.rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n'
}
