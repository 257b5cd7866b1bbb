// Reported figures derived from summed aggregates. Ratios are computed here, at the end, from
// exact sums (never averaged averages); rounding is for display only and documented per field.
import { addAgg, emptyAgg, QUANTITIES, type Agg, type Quantity, type Stat } from '../../rollups/aggregate.ts'
import type { DayRow } from '../../rollups/compute-days.ts'
import type { HourRow } from '../../rollups/compute-hours.ts'
import { isoWeekday } from '../../rollups/day-bounds.ts'
import { dayComplete } from '../../rollups/period.ts'
import { implausibleStreams, type ImplausibleStream } from '../../rollups/plausibility.ts'

export type Scope = 'open' | 'all'

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits

/** The aggregate of a day for a scope: inside opening hours, or the whole day. */
export const aggOf = (d: DayRow, scope: Scope): Agg => (scope === 'open' ? d.open : d.agg)

export function sumDays (days: readonly DayRow[], scope: Scope): Agg {
  const a = emptyAgg()
  for (const d of days) addAgg(a, aggOf(d, scope))
  return a
}

/** Capacity-weighted known time, for utilisation over days of different capacities. */
export const capacityMs = (days: ReadonlyArray<{ agg: Agg, capacity: number }>): number => days.reduce((s, d) => s + d.capacity * d.agg.occKnownMs, 0)

export type OccupancyFigures = {
  meanOccupancy: number | null
  maxOccupancy: number | null
  utilisation: number | null
  minutesAtCapacity: number
  coverage: number
}

/** `capMs`: Σ capacity × known time of the parts summed into `a`. */
export function occupancyFigures (a: Agg, capMs: number): OccupancyFigures {
  const known = a.occKnownMs > 0
  return {
    meanOccupancy: known ? round(a.occPersonMs / a.occKnownMs, 2) : null,
    maxOccupancy: known ? a.occMax : null,
    utilisation: known && capMs > 0 ? round(a.occPersonMs / capMs, 4) : null,
    minutesAtCapacity: round(a.occFullMs / 60_000, 2),
    coverage: a.minutes > 0 ? round(a.occKnownMs / (a.minutes * 60_000), 4) : 0
  }
}

export type QuantityFigures = { mean: number, min: number, max: number, inBandShare: number } | null

export function quantityFigures (s: Stat): QuantityFigures {
  if (s.n === 0) return null
  return { mean: round(s.sum / s.n, 2), min: s.min, max: s.max, inBandShare: round(s.inBand / s.n, 4) }
}

export type ComfortFigures = { samples: number, comfortable: number, share: number | null } & Record<Quantity, QuantityFigures>

export function comfortFigures (a: Agg): ComfortFigures {
  const out = {
    samples: a.envSamples,
    comfortable: a.comfortSamples,
    share: a.envSamples > 0 ? round(a.comfortSamples / a.envSamples, 4) : null
  } as ComfortFigures
  for (const q of QUANTITIES) out[q] = quantityFigures(a[q])
  return out
}

export type CompletenessFigures = {
  environment: { expectedMinutes: number, receivedMinutes: number, share: number | null }
  occupancy: { expectedSlots: number, receivedSlots: number, gaps: number, longestGapMinutes: number }
  door: { silentHours: number }
  /** Streams with more events than the devices could physically send (rollups/plausibility.ts). */
  implausible: ImplausibleStream[]
  complete: boolean
}

export function completenessFigures (a: Agg): CompletenessFigures {
  const share = a.minutes > 0 ? round(a.envMinutes / a.minutes, 4) : null
  return {
    environment: { expectedMinutes: a.minutes, receivedMinutes: a.envMinutes, share },
    occupancy: { expectedSlots: a.occSlotsExpected, receivedSlots: a.occSlots, gaps: a.occGaps, longestGapMinutes: a.occLongestGapMin },
    door: { silentHours: a.doorSilentHours },
    implausible: implausibleStreams(a),
    // Environment share ≥ 0.95, no occupancy gap, no silent door hour, no implausible count; no open time: nothing to miss.
    complete: dayComplete(a)
  }
}

export type Heatmap = {
  /** entries[weekday][hour], weekday 0 = Monday. */
  entries: number[][]
  /** How many dates of each weekday the range has (for averages). */
  dates: number[]
  busiestHour: { hour: number, entries: number } | null
  busiestSlot: { weekday: number, hour: number, entries: number } | null
}

export function heatmapOf (days: readonly DayRow[]): Heatmap {
  const entries = Array.from({ length: 7 }, () => new Array<number>(24).fill(0))
  const dates = new Array<number>(7).fill(0)
  const byHour = new Array<number>(24).fill(0)
  for (const d of days) {
    const w = isoWeekday(d.date)
    dates[w]!++
    d.byHour.forEach((n, h) => { entries[w]![h]! += n; byHour[h]! += n })
  }
  let busiestHour: Heatmap['busiestHour'] = null
  byHour.forEach((n, hour) => { if (n > 0 && (!busiestHour || n > busiestHour.entries)) busiestHour = { hour, entries: n } })
  let busiestSlot: Heatmap['busiestSlot'] = null
  entries.forEach((row, weekday) => row.forEach((n, hour) => {
    if (n > 0 && (!busiestSlot || n > busiestSlot.entries)) busiestSlot = { weekday, hour, entries: n }
  }))
  return { entries, dates, busiestHour, busiestSlot }
}

export type WorstHour = { start: string, date: string, hour: number, samples: number, share: number } & Record<Quantity, number | null>

/** The hours with the lowest share of comfortable samples (earliest first on ties). */
export function worstHours (hours: readonly HourRow[], scope: Scope, limit = 5): WorstHour[] {
  return hours
    .filter((h) => h.agg.envSamples > 0 && (scope === 'all' || h.openMinutes > 0))
    .map((h) => ({ h, share: h.agg.comfortSamples / h.agg.envSamples }))
    .sort((a, b) => a.share - b.share || a.h.start - b.h.start)
    .slice(0, limit)
    .map(({ h, share }) => {
      const ymd = String(h.ymd)
      const means = Object.fromEntries(QUANTITIES.map((q) => [q, h.agg[q].n > 0 ? round(h.agg[q].sum / h.agg[q].n, 2) : null])) as Record<Quantity, number | null>
      return { start: new Date(h.start).toISOString(), date: `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`, hour: h.hour, samples: h.agg.envSamples, share: round(share, 4), ...means }
    })
}
