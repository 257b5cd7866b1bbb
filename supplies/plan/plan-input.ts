// What the planner needs of one station-item: the narrow view of the forecast
// (supplies/forecast.ts, ItemForecast) plus the catalog's names. The route builds these from
// the supply model; tests and the benchmark build them directly.
import type { ItemForecast } from '../schemas.ts'

export type PlanInput = {
  stationId: string
  item: string
  nameZh: string
  nameEn: string
  unit: string
  level: number
  capacity: number
  threshold: number
  /** Hours from now; null: not reached within the forecast horizon (or no rate). */
  timeToThresholdHours: number | null
  timeToEmptyHours: number | null
  /** 90 % band of the time to empty. */
  band: { low: number | null, high: number | null }
}

/** A forecast row the planner cannot use, with why (listed in the plan, never dropped). */
export type Unplannable = { stationId: string, item: string, reason: 'no_level' | 'no_capacity' }

type Names = { nameZh: string | null, nameEn: string | null, unit: string | null } | null

export function toPlanInputs (rows: readonly ItemForecast[], names: (stationId: string, item: string) => Names): { inputs: PlanInput[], unplannable: Unplannable[] } {
  const inputs: PlanInput[] = []
  const unplannable: Unplannable[] = []
  for (const r of rows) {
    if (r.level === null) { unplannable.push({ stationId: r.stationId, item: r.item, reason: 'no_level' }); continue }
    if (r.capacity === null) { unplannable.push({ stationId: r.stationId, item: r.item, reason: 'no_capacity' }); continue }
    const n = names(r.stationId, r.item)
    inputs.push({
      stationId: r.stationId,
      item: r.item,
      nameZh: n?.nameZh ?? r.item,
      nameEn: n?.nameEn ?? r.item,
      unit: n?.unit ?? 'pcs',
      level: r.level,
      capacity: r.capacity,
      // No threshold in the catalog (a sensor-only item): plan it when it runs empty.
      threshold: r.threshold ?? 0,
      timeToThresholdHours: r.timeToThresholdHours,
      timeToEmptyHours: r.timeToEmptyHours,
      band: r.band
    })
  }
  return { inputs, unplannable }
}
