// Office Open XML spreadsheet (ECMA-376 / ISO/IEC 29500 SpreadsheetML), the smallest package
// Excel, WPS and LibreOffice open without repair: content types, relationships, a workbook,
// a stylesheet (title, bold headings, number formats) and one worksheet per table with inline
// strings: the table's title block, its heading row (frozen) and its rows.
import type { Kind } from './labels/index.ts'
import type { Cell, Table } from './table.ts'
import { zip } from './zip.ts'

const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships'
const XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

// XML 1.0 forbids most control characters even escaped; drop them.
const esc = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export function columnName (i: number): string {
  let s = ''
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s
  return s
}

// Style ids (cellXfs below): 0 plain, 1 heading, 2 title, then one per number format.
const HEADING = 1
const TITLE = 2
const NUMBER_STYLE: Partial<Record<Kind, number>> = { int: 3, pct: 4, dec1: 5, dec2: 6 }

function cell (v: Cell, ref: string, styleId = 0): string {
  const style = styleId ? ` s="${styleId}"` : ''
  if (v === null) return ''
  if (typeof v === 'number') return Number.isFinite(v) ? `<c r="${ref}"${style}><v>${v}</v></c>` : ''
  return `<c r="${ref}"${style} t="inlineStr"><is><t xml:space="preserve">${esc(v)}</t></is></c>`
}

// Column width in characters: CJK characters are about two wide.
const displayWidth = (v: Cell) => (v === null ? 0 : [...String(v)].reduce((n, ch) => n + (/[\u1100-\uffff]/.test(ch) ? 2 : 1), 0))

function sheet (t: Table): string {
  const head = t.title.length // title rows, then headings, then rows
  const row = (cells: string[], r: number) => `<row r="${r}">${cells.join('')}</row>`
  const rows = [
    ...t.title.map((r, i) => row(r.map((v, j) => cell(v, `${columnName(j)}${i + 1}`, i === 0 && j === 0 ? TITLE : 0)), i + 1)),
    row(t.columns.map((v, j) => cell(v, `${columnName(j)}${head + 1}`, HEADING)), head + 1),
    ...t.rows.map((r, i) => row(r.map((v, j) => cell(v, `${columnName(j)}${head + i + 2}`, NUMBER_STYLE[t.kinds[i]?.[j] ?? 'text'] ?? 0)), head + i + 2))
  ]
  const widths = t.columns.map((c, j) => Math.min(50, Math.max(8, displayWidth(c), ...t.rows.map((r) => displayWidth(r[j] ?? null))) + 2))
  const cols = `<cols>${widths.map((w, j) => `<col min="${j + 1}" max="${j + 1}" width="${w}" customWidth="1"/>`).join('')}</cols>`
  // The heading row stays visible while scrolling.
  const top = `${columnName(0)}${head + 2}`
  const view = `<sheetViews><sheetView workbookViewId="0"><pane ySplit="${head + 1}" topLeftCell="${top}" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>`
  return `${XML}<worksheet xmlns="${NS}">${view}${cols}<sheetData>${rows.join('')}</sheetData></worksheet>`
}

// Number formats: built-in 3 is #,##0; 164+ are custom (ECMA-376 §18.8.30).
const STYLES = `${XML}<styleSheet xmlns="${NS}">` +
  '<numFmts count="3"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="0.0"/><numFmt numFmtId="166" formatCode="0.00"/></numFmts>' +
  '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="14"/><name val="Calibri"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
  '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
  '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'

/** Sheet names: at most 31 characters, none of \ / ? * [ ] :, unique. */
function sheetNames (tables: readonly Table[]): string[] {
  const used = new Set<string>()
  return tables.map((t, i) => {
    let name = t.name.replace(/[\\/?*[\]:]/g, ' ').slice(0, 31).trim() || `Sheet${i + 1}`
    if (used.has(name.toLowerCase())) name = `${name.slice(0, 28)} ${i + 1}`
    used.add(name.toLowerCase())
    return name
  })
}

export function toXlsx (tables: readonly Table[]): Buffer {
  const names = sheetNames(tables)
  const sheets = tables.map((t, i) => ({ path: `xl/worksheets/sheet${i + 1}.xml`, xml: sheet(t), name: names[i]! }))
  const contentTypes = `${XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
    sheets.map((s) => `<Override PartName="/${s.path}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('') +
    '</Types>'
  const rootRels = `${XML}<Relationships xmlns="${PKG_REL}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`
  const workbook = `${XML}<workbook xmlns="${NS}" xmlns:r="${REL}"><sheets>` +
    sheets.map((s, i) => `<sheet name="${esc(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') + '</sheets></workbook>'
  const workbookRels = `${XML}<Relationships xmlns="${PKG_REL}">` +
    sheets.map((s, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join('') +
    `<Relationship Id="rId${sheets.length + 1}" Type="${REL}/styles" Target="styles.xml"/></Relationships>`
  return zip([
    { name: '[Content_Types].xml', data: contentTypes },
    { name: '_rels/.rels', data: rootRels },
    { name: 'xl/workbook.xml', data: workbook },
    { name: 'xl/_rels/workbook.xml.rels', data: workbookRels },
    { name: 'xl/styles.xml', data: STYLES },
    ...sheets.map((s) => ({ name: s.path, data: s.xml }))
  ])
}
