// Weather-driven items (raincoats, heat and cold packs, water in heat): how much more (or less)
// is taken per visit on a day of the item's weather, learnt from the history days for which
// weather was given (POST /supplies/weather, or a daily forecast file through the CLI). The
// classes are definitions, not fitted numbers: a wet day has ≥ 1 mm of rain, a hot day a
// maximum ≥ 30 °C, a cold day a maximum ≤ 5 °C.
import type { ItemRates } from './consumption-model.ts'
import type { WeatherDay, WeatherDriver } from './schemas.ts'

export const WET_MM = 1
export const HOT_C = 30
export const COLD_C = 5
/** Visits each class needs in the history before its rate is trusted. */
const MIN_VISITS = 30

export function inClass (driver: WeatherDriver, day: WeatherDay): boolean {
  switch (driver) {
    case 'rain': return day.rainMm >= WET_MM
    case 'heat': return day.maxC >= HOT_C
    case 'cold': return day.maxC <= COLD_C
    case 'none': return false
  }
}

/**
 * The factor of a forecast date: the item's per-visit rate on days of that class over its rate
 * on all history days. 1 when the item is not weather-driven, the date has no weather, or the
 * history lacks days of either class.
 */
export function weatherFactor (driver: WeatherDriver, rates: ItemRates, weather: ReadonlyMap<string, WeatherDay>): ((date: string) => number) | undefined {
  if (driver === 'none' || rates.perVisit <= 0) return undefined
  const acc = { yes: { c: 0, v: 0 }, no: { c: 0, v: 0 } }
  for (const [date, d] of rates.byDate) {
    const w = weather.get(date)
    if (!w) continue
    const a = inClass(driver, w) ? acc.yes : acc.no
    a.c += d.consumed; a.v += d.visits
  }
  if (acc.yes.v < MIN_VISITS || acc.no.v < MIN_VISITS) return undefined
  const yes = acc.yes.c / acc.yes.v / rates.perVisit
  const no = acc.no.c / acc.no.v / rates.perVisit
  return (date) => {
    const w = weather.get(date)
    return w === undefined ? 1 : inClass(driver, w) ? yes : no
  }
}
