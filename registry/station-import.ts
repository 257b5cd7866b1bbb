import { parseCsv } from './csv.ts'
import { RegistryError } from './registry-error.ts'
import { NewStation, type OpeningHours } from './schemas.ts'

export const IMPORT_COLUMNS = ['id', 'name', 'address', 'district', 'lat', 'lon', 'datum', 'timezone', 'capacity', 'area_m2', 'opening_hours', 'amenities'] as const
export const MAX_IMPORT_ROWS = 10_000

// "24h", or "1-5 06:00-22:00; 6-7 08:00-20:00" (ISO weekdays, 1 = Monday). A string other
// than '24h' is an error message.
export function openingHours (text: string): OpeningHours | string {
  if (text === '' || text === '24h') return '24h'
  const ranges = []
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([1-7])(?:-([1-7]))?\s+(\d{2}:\d{2})-(\d{2}:\d{2})$/.exec(part)
    if (!m) return `opening_hours: "${part}" is not like "1-5 06:00-22:00"`
    const from = Number(m[1])
    const to = Number(m[2] ?? m[1])
    if (to < from) return `opening_hours: day range ${from}-${to} runs backwards`
    ranges.push({ days: Array.from({ length: to - from + 1 }, (_, k) => from + k), open: m[3]!, close: m[4]! })
  }
  return ranges
}

const num = (s: string | undefined) => (s === undefined || s.trim() === '' ? null : Number(s))

/**
 * Parses a station CSV (header row required, columns in any order, unknown columns refused)
 * into validated stations, or throws one RegistryError listing every bad row: an import is
 * all or nothing. `existing` answers which of the file's ids are registered already (one
 * query for the whole file, not one per row).
 */
export async function parseStationCsv (text: string, existing: (ids: readonly string[]) => Promise<ReadonlySet<string>>): Promise<NewStation[]> {
  let rows: string[][]
  try {
    rows = parseCsv(text)
  } catch (err) {
    throw new RegistryError('invalid', `CSV: ${(err as Error).message}`)
  }
  const header = rows.shift()?.map((h) => h.trim().toLowerCase())
  if (!header || !header.includes('id') || !header.includes('name')) throw new RegistryError('invalid', `CSV header must include id and name; columns: ${IMPORT_COLUMNS.join(',')}`)
  const unknown = header.filter((h) => !(IMPORT_COLUMNS as readonly string[]).includes(h))
  if (unknown.length) throw new RegistryError('invalid', `unknown CSV columns: ${unknown.join(', ')}`)
  if (rows.length === 0) throw new RegistryError('invalid', 'CSV has no station rows')
  if (rows.length > MAX_IMPORT_ROWS) throw new RegistryError('invalid', `at most ${MAX_IMPORT_ROWS} rows per import`)

  const errors: Array<[number, string]> = []
  const valid: Array<{ line: number, station: NewStation }> = []
  rows.forEach((cells, index) => {
    const line = index + 2 // 1-based, after the header
    if (cells.length !== header.length) { errors.push([line, `line ${line}: ${cells.length} fields, header has ${header.length}`]); return }
    const v = Object.fromEntries(header.map((h, k) => [h, cells[k]!.trim()])) as Record<string, string>
    const hours = openingHours(v.opening_hours ?? '')
    if (typeof hours === 'string' && hours !== '24h') { errors.push([line, `line ${line} (${v.id}): ${hours}`]); return }
    const candidate = {
      id: v.id, name: v.name,
      ...(v.address !== undefined ? { address: v.address } : {}),
      ...(v.district !== undefined ? { district: v.district } : {}),
      lat: num(v.lat), lon: num(v.lon),
      ...(v.datum ? { datum: v.datum.toLowerCase() } : {}),
      ...(v.timezone ? { timezone: v.timezone } : {}),
      ...(v.capacity ? { capacity: Number(v.capacity) } : {}),
      areaM2: num(v.area_m2),
      openingHours: hours,
      amenities: (v.amenities ?? '').split(/[;|]/).map((a) => a.trim()).filter(Boolean)
    }
    const parsed = NewStation.safeParse(candidate)
    if (!parsed.success) {
      errors.push([line, `line ${line} (${v.id}): ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`])
      return
    }
    valid.push({ line, station: candidate as NewStation })
  })
  const taken = valid.length > 0 ? await existing(valid.map((r) => r.station.id)) : new Set<string>()
  const seen = new Set<string>()
  const stations: NewStation[] = []
  for (const { line, station } of valid) {
    if (seen.has(station.id)) errors.push([line, `line ${line}: station ${station.id} appears twice in the file`])
    else if (taken.has(station.id)) errors.push([line, `line ${line}: station ${station.id} already exists`])
    seen.add(station.id)
    stations.push(station)
  }
  if (errors.length) {
    const listed = errors.sort((a, b) => a[0] - b[0]).slice(0, 100).map(([, e]) => e)
    throw new RegistryError('invalid', `nothing imported; ${errors.length} bad row(s):\n${listed.join('\n')}`)
  }
  return stations
}
