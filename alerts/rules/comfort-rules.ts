import { BETWEEN, CLEAR, FIRE, UNKNOWN, type Verdict } from '../lifecycle.ts'
import type { StationState } from '../station-state.ts'
import { fresh, staleAt, type RuleFamily } from './rule-context.ts'

// 2. temperature too high / too low while occupied, CO2 high, PM2.5 high.
// 3. over_capacity: people inside over `threshold` % of the station's capacity.
// 7. night_alone: one person inside alone for `threshold` seconds during the station's local
//    night (nightFrom..nightTo): a worker who collapsed. Clear: nobody, or more than one.

const above = (v: number, fire: number, clear: number): Verdict => v > fire ? FIRE : v <= clear ? CLEAR : BETWEEN
const below = (v: number, fire: number, clear: number): Verdict => v < fire ? FIRE : v >= clear ? CLEAR : BETWEEN

/** Occupied, unless a fresh count says nobody is in (no counter: assume people may be inside). */
const occupied = (s: StationState, now: number): boolean => !(fresh(s.occupancyAt, now) && s.occupancy === 0)

const hourFormats = new Map<string, Intl.DateTimeFormat>()
function localHour (now: number, timeZone: string): number {
  let f = hourFormats.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' })
    hourFormats.set(timeZone, f)
  }
  return Number(f.format(now))
}

export function isNight (hour: number, from: number, to: number): boolean {
  return from <= to ? hour >= from && hour < to : hour >= from || hour < to
}

// Local hours change on a quarter-hour boundary of UTC in every time zone (offsets and daylight
// saving shifts are whole quarters of an hour).
const QUARTER_MS = 15 * 60_000

export const comfortRules: RuleFamily = (s, ctx) => {
  const now = ctx.now
  if (fresh(s.occupancyAt, now)) ctx.due(staleAt(s.occupancyAt))
  if (fresh(s.temperatureAt, now)) ctx.due(staleAt(s.temperatureAt))
  if (fresh(s.co2At, now)) ctx.due(staleAt(s.co2At))
  if (fresh(s.pm25At, now)) ctx.due(staleAt(s.pm25At))
  const occ = occupied(s, now)
  const hot = ctx.settings('temperature_high')
  const cold = ctx.settings('temperature_low')
  const tFresh = fresh(s.temperatureAt, now)
  const t = s.temperature
  ctx.emit('temperature_high', '', !tFresh ? UNKNOWN : occ ? above(t, hot.threshold, hot.clearThreshold) : CLEAR, tFresh ? t : null, hot.threshold,
    () => `${t} °C inside while occupied (limit ${hot.threshold} °C)`)
  ctx.emit('temperature_low', '', !tFresh ? UNKNOWN : occ ? below(t, cold.threshold, cold.clearThreshold) : CLEAR, tFresh ? t : null, cold.threshold,
    () => `${t} °C inside while occupied (limit ${cold.threshold} °C)`)
  const co2 = ctx.settings('co2_high')
  const cFresh = fresh(s.co2At, now)
  ctx.emit('co2_high', '', cFresh ? above(s.co2, co2.threshold, co2.clearThreshold) : UNKNOWN, cFresh ? s.co2 : null, co2.threshold,
    () => `CO2 ${s.co2} ppm (limit ${co2.threshold} ppm)`)
  const pm = ctx.settings('pm25_high')
  const pFresh = fresh(s.pm25At, now)
  ctx.emit('pm25_high', '', pFresh ? above(s.pm25, pm.threshold, pm.clearThreshold) : UNKNOWN, pFresh ? s.pm25 : null, pm.threshold,
    () => `PM2.5 ${s.pm25} µg/m³ (limit ${pm.threshold} µg/m³)`)

  const cap = ctx.settings('over_capacity')
  const oFresh = fresh(s.occupancyAt, now)
  const pct = s.occupancy / s.capacity * 100
  ctx.emit('over_capacity', '', oFresh ? above(pct, cap.threshold, cap.clearThreshold) : UNKNOWN, oFresh ? s.occupancy : null, s.capacity,
    () => `${s.occupancy} people inside, capacity ${s.capacity}`)

  const night = ctx.settings('night_alone')
  let v: Verdict = UNKNOWN
  if (oFresh) {
    if (s.aloneSince === 0) v = CLEAR
    else if (now - s.aloneSince < night.threshold * 1000) { v = BETWEEN; ctx.due(s.aloneSince + night.threshold * 1000) } else {
      ctx.due((Math.floor(now / QUARTER_MS) + 1) * QUARTER_MS)
      v = isNight(localHour(now, s.timezone), night.nightFrom ?? 22, night.nightTo ?? 6) ? FIRE : BETWEEN
    }
  }
  const aloneS = s.aloneSince === 0 ? null : Math.round((now - s.aloneSince) / 1000)
  ctx.emit('night_alone', '', v, aloneS, night.threshold, () => `one person alone inside for ${Math.round((aloneS ?? 0) / 60)} min at night`)
}
