// The comfort of the last climate reading, in three words for a dashboard tile. "good" is the
// rollups' definition of a comfortable sample (rollups/comfort-band.ts: every quantity the
// station reports lies inside the band, bounds included). Outside it, "poor" means at least one
// quantity is clearly out, past the band widened by a margin, and "fair" that it is only a little out.
import { DEFAULT_BAND, inRange, type ComfortBand, type Range } from '../../rollups/comfort-band.ts'
import type { Quantity } from '../../rollups/aggregate.ts'

export type Comfort = 'good' | 'fair' | 'poor'
export type ClimateValues = Record<Quantity, number | null>

// How far outside the band a value may be and still be "fair": 3 °C, 10 points of humidity,
// and half the limit again for CO2 (1500 ppm) and PM2.5 (75 µg/m³, GB 3095-2012's 24-hour
// grade II limit).
const MARGIN: Record<Quantity, (r: Range) => Range> = {
  temperature: (r) => widen(r, 3),
  humidity: (r) => widen(r, 10),
  co2: (r) => ({ min: r.min, max: r.max === null ? null : r.max * 1.5 }),
  pm25: (r) => ({ min: r.min, max: r.max === null ? null : r.max * 1.5 })
}

function widen (r: Range, by: number): Range {
  return { min: r.min === null ? null : r.min - by, max: r.max === null ? null : r.max + by }
}

const QUANTITIES = Object.keys(MARGIN) as Quantity[]

/** null when the reading has no quantity at all. */
export function comfortOf (values: ClimateValues, band: ComfortBand = DEFAULT_BAND): Comfort | null {
  let reported = 0
  let outside = false
  for (const q of QUANTITIES) {
    const v = values[q]
    if (v === null) continue
    reported++
    if (inRange(v, band[q])) continue
    if (!inRange(v, MARGIN[q](band[q]))) return 'poor'
    outside = true
  }
  if (reported === 0) return null
  return outside ? 'fair' : 'good'
}
