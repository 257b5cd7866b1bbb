// The fleet view's column store (web/src/composables/fleet-store.ts): what it holds after the
// columnar answer of the API equals the row form station by station; live station events
// update, add and remove stations by index, and an older version changes nothing.
import { describe, expect, test } from 'vitest'
import { toColumns } from '../api/live/columns.ts'
import type { StationLiveSummary } from '../api/live/schemas.ts'
import { fleetFromColumns, fleetFromRows, rowAt, upsertStation, type FleetStore } from '../web/src/composables/fleet-store.ts'

const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString()
const row = (i: number, over: Partial<StationLiveSummary> = {}): StationLiveSummary => ({
  stationId: `st-${String(i).padStart(3, '0')}`, name: `驿站 ${i}`, district: i % 2 ? '福田区' : '南山区', timezone: 'Asia/Shanghai',
  capacity: 10, lat: i === 2 ? null : 22.5 + i / 100, lon: i === 2 ? null : 114 + i / 100, status: 'active', state: i === 1 ? 'busy' : 'offline',
  occupancy: i === 1 ? 7 : null, temperature: i === 1 ? 26.5 : null, devicesOnline: i === 1 ? 1 : 0, devices: 1,
  lastMessageAt: i === 1 ? at(3) : null, visitsToday: i, version: 1,
  alerts: i === 3 ? { critical: 1, warning: 0, info: 0, pending: 0, unacknowledged: 1, top: null } : null,
  ...over
})
const all = (s: FleetStore) => Array.from({ length: s.n }, (_, i) => rowAt(s, i))

describe('fleet store', () => {
  const rows = [0, 1, 2, 3].map((i) => row(i))

  test('from the columnar answer: every station as the row form has it', () => {
    const s = fleetFromColumns(toColumns(rows, at(0), 'e-1'))
    expect(s.n).toBe(4)
    expect(all(s)).toEqual(rows)
    expect(s.index.get('st-002')).toBe(2)
    // And from the row form, the same.
    expect(all(fleetFromRows({ stations: rows }))).toEqual(rows)
  })

  test('station events update one index, add new stations, ignore older versions', () => {
    const s = fleetFromColumns(toColumns(rows, at(0), 'e-1'))
    expect(upsertStation(s, row(1, { occupancy: 10, state: 'full', version: 2, district: '罗湖区' }))).toBe(true)
    expect(rowAt(s, 1)).toEqual(row(1, { occupancy: 10, state: 'full', version: 2, district: '罗湖区' }))
    expect(s.districts).toContain('罗湖区')
    expect(upsertStation(s, row(1, { occupancy: 3, version: 1 }))).toBe(false)
    expect(rowAt(s, 1).occupancy).toBe(10)
    expect(upsertStation(s, row(9))).toBe(true)
    expect(s.n).toBe(5)
    expect(rowAt(s, 4)).toEqual(row(9))
  })

  test('a retired station is removed: the last one takes its index', () => {
    const s = fleetFromColumns(toColumns(rows, at(0), 'e-1'))
    expect(upsertStation(s, row(1, { status: 'retired', version: 2 }))).toBe(true)
    expect(s.n).toBe(3)
    expect(all(s).map((r) => r.stationId)).toEqual(['st-000', 'st-003', 'st-002'])
    expect(all(s)).toEqual([rows[0], rows[3], rows[2]])
    expect(s.index.get('st-003')).toBe(1)
    expect(s.index.has('st-001')).toBe(false)
    for (const col of [s.ids, s.name, s.state, s.lat, s.alerts, s.version]) expect(col).toHaveLength(3)
    // Retiring one that is not there changes nothing.
    expect(upsertStation(s, row(7, { status: 'retired' }))).toBe(false)
    expect(s.n).toBe(3)
  })
})
