import { dayOfYear } from './local-time.ts'
import { createRng, hashSeed } from './random.ts'

// Outdoor weather of one local day in one region (stations of a city share it). It drives
// three things: how many workers come in (rain, heat and cold send riders and couriers into
// shelter), how long they stay, and the room climate. The climate is a humid subtropical
// city in the northern hemisphere (Shanghai/Shenzhen-like): hot wet summers, mild winters.
// Anomalies are smooth across days (interpolated between random knots every 3 days), so a
// cold spell or a heat wave lasts a few days, yet any day is computed without its
// predecessors.

export type Condition = 'clear' | 'cloudy' | 'rain' | 'storm'

export type DayWeather = {
  condition: Condition
  /** Daily mean outdoor temperature, °C. */
  meanC: number
  /** Afternoon maximum, °C. */
  maxC: number
  /** Deviation of outdoor relative humidity from the season's usual, percentage points. */
  humidityDelta: number
  /** Outdoor particulate multiplier (1 = usual). */
  smog: number
  /** Multiplier of expected arrivals (1 on an ordinary day). */
  visitFactor: number
  /** Multiplier of dwell times (1 on an ordinary day). */
  dwellFactor: number
}

const KNOT_DAYS = 3
const DAY = 86_400_000
export const HOT_MAX_C = 33
export const COLD_MEAN_C = 6

/** +1 in mid-July, -1 in mid-January. */
export function seasonOf (date: string): number {
  return Math.cos((2 * Math.PI * (dayOfYear(date) - 196)) / 365)
}

function knot (seed: number | string, region: string, k: number): { temp: number, wet: number } {
  const rng = createRng(hashSeed(seed, region, 'weather-knot', k))
  return { temp: rng.normal(0, 2.8), wet: rng.normal(0, 1) }
}

/** Deterministic weather of a local day (YYYY-MM-DD) for a region such as 'shenzhen'. */
export function weatherFor (seed: number | string, region: string, date: string): DayWeather {
  const dayNumber = Math.round(Date.parse(`${date}T00:00:00Z`) / DAY)
  const k = Math.floor(dayNumber / KNOT_DAYS)
  const f = (dayNumber - k * KNOT_DAYS) / KNOT_DAYS
  const a = knot(seed, region, k)
  const b = knot(seed, region, k + 1)
  const rng = createRng(hashSeed(seed, region, date, 'weather'))
  const season = seasonOf(date)

  const meanC = 17 + 11.5 * season + a.temp + (b.temp - a.temp) * f + rng.normal(0, 1)
  const maxC = meanC + 4 + rng.uniform(0, 2.5)
  // Wet season in early summer (plum rains, typhoons); the smooth "wet" anomaly makes rainy spells.
  const wetness = a.wet + (b.wet - a.wet) * f + rng.normal(0, 0.6)
  const pRain = 0.22 + 0.16 * season
  // The (1 - pRain) quantile of the anomaly, by the logistic approximation of the normal CDF.
  const threshold = Math.log((1 - pRain) / pRain) / 1.702
  const condition: Condition = wetness > threshold + 1.1 && season > 0 ? 'storm'
    : wetness > threshold ? 'rain'
      : wetness > threshold - 0.8 ? 'cloudy' : 'clear'

  const wet = condition === 'rain' || condition === 'storm'
  const hot = maxC >= HOT_MAX_C
  const cold = meanC <= COLD_MEAN_C
  // Shelter demand: riders wait out a downpour, seek AC in a heat wave, warm up in a cold snap.
  const visitFactor = 1 + (condition === 'storm' ? 0.16 : condition === 'rain' ? 0.1 : 0) + (hot ? 0.08 : 0) + (cold ? 0.06 : 0)
  const dwellFactor = 1 + (condition === 'storm' ? 0.35 : condition === 'rain' ? 0.2 : 0) + (hot ? 0.15 : 0) + (cold ? 0.15 : 0)
  return {
    condition,
    meanC: Math.round(meanC * 10) / 10,
    maxC: Math.round(maxC * 10) / 10,
    humidityDelta: (wet ? 12 : condition === 'cloudy' ? 4 : -4) + rng.normal(0, 3),
    smog: wet ? rng.logNormal(0.6, 0.2) : rng.logNormal(1, 0.4),
    visitFactor,
    dwellFactor
  }
}
