// The plan as one table (CSV: a row per trip, stop and item; unroutable stations last, without
// a trip), headings in the caller's language.
import type { Table } from '../../api/reports/table.ts'
import { LABELS, type Lang } from './plan-labels.ts'
import type { RestockPlan } from './plan-schema.ts'

export function planTable (plan: RestockPlan, lang: Lang): Table {
  const L = LABELS[lang]
  const rows: Table['rows'] = []
  for (const t of plan.trips) {
    for (const s of t.stops) {
      for (const i of s.items) {
        rows.push([t.trip, s.seq, s.stationId, s.name, s.address, lang === 'zh' ? i.nameZh : i.nameEn, i.quantity, i.unit, i.level, i.capacity, L.priorities[i.priority], i.timeToEmptyHours === null ? null : Math.round(i.timeToEmptyHours * 10) / 10, s.legKm, s.cumulativeKm, s.note])
      }
    }
  }
  for (const u of plan.unroutable) {
    for (const i of u.items) rows.push([null, null, u.stationId, u.name, null, lang === 'zh' ? i.nameZh : i.nameEn, i.quantity, i.unit, i.level, i.capacity, L.priorities[i.priority], i.timeToEmptyHours, null, null, L.unroutable])
  }
  // No title block (a driver's CSV is rows under headings); numbers written as computed.
  return { name: 'restock-plan', title: [], kinds: rows.map((r) => r.map(() => 'text' as const)), columns: [L.trip, L.seq, L.station, L.name, L.address, L.item, L.quantity, L.unit, L.level, L.capacity, L.priority, L.tte, L.leg, L.total, L.note], rows }
}
