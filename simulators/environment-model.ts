import { dayOfYear } from './local-time.ts'
import { createRng, hashSeed } from './random.ts'

// Indoor climate of a small rest cabin, sampled once a minute. Each quantity relaxes towards a
// target set by the outdoor conditions (season, time of day, today's weather) and the people
// inside, like a first-order room model. The numbers are plausible for a northern-hemisphere
// city station with modest air conditioning: the point is that the curves move for the right
// reasons (CO2 tracks occupancy, PM2.5 tracks rush hours), not meteorological accuracy.

export type EnvironmentValues = { temperature: number, humidity: number, co2: number, pm25: number }

export type EnvironmentModel = {
  /** Advance by `dtMinutes` and return the sensor readings at local `minuteOfDay`. */
  next (minuteOfDay: number, occupancy: number, dtMinutes?: number): EnvironmentValues
}

const OUTDOOR_CO2 = 420 // ppm
const CO2_PER_PERSON = 40 // ppm at steady state: a small cabin with mechanical ventilation
const TAU_MIN = { temperature: 25, humidity: 20, co2: 15, pm25: 30 }

const round1 = (x: number): number => Math.round(x * 10) / 10
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x))
const cosHours = (hour: number, peakHour: number): number => Math.cos((2 * Math.PI * (hour - peakHour)) / 24)
const bump = (hour: number, centre: number, sd: number): number => Math.exp(-0.5 * ((hour - centre) / sd) ** 2)

export function createEnvironmentModel (opts: { seed: number | string, stationId: string, date: string }): EnvironmentModel {
  const rng = createRng(hashSeed(opts.seed, opts.stationId, opts.date, 'environment'))
  // +1 in mid-July, -1 in mid-January.
  const season = Math.cos((2 * Math.PI * (dayOfYear(opts.date) - 196)) / 365)
  // Today's weather: a warmer or cooler, drier or muggier, cleaner or smoggier day than usual.
  const weatherTemp = rng.normal(0, 2.5)
  const weatherHumidity = rng.normal(0, 8)
  const smog = rng.logNormal(1, 0.4)

  const targets = (hour: number, people: number): EnvironmentValues => {
    const outdoorTemp = 15 + 11 * season + weatherTemp + 4.5 * cosHours(hour, 15)
    const outdoorHumidity = clamp(62 + weatherHumidity + 12 * cosHours(hour, 5), 10, 100)
    const outdoorPm = (25 - 12 * season) * smog * (1 + 0.4 * bump(hour, 8, 1.2) + 0.4 * bump(hour, 18.5, 1.5))
    return {
      // The air conditioner pulls towards 23 °C but cannot fully beat the weather; people add heat.
      temperature: 23 + 0.3 * (outdoorTemp - 23) + 0.12 * people,
      humidity: clamp(0.6 * outdoorHumidity + 15 + 0.7 * people, 15, 90),
      co2: OUTDOOR_CO2 + CO2_PER_PERSON * people,
      // The filter removes about half; every door opening lets some street air in.
      pm25: 0.55 * outdoorPm + 0.8 * people
    }
  }

  let state: EnvironmentValues | undefined
  return {
    next (minuteOfDay, occupancy, dtMinutes = 1) {
      const target = targets(minuteOfDay / 60, occupancy)
      if (state === undefined) {
        state = { ...target }
      } else {
        for (const key of ['temperature', 'humidity', 'co2', 'pm25'] as const) {
          state[key] += (target[key] - state[key]) * (1 - Math.exp(-dtMinutes / TAU_MIN[key]))
        }
      }
      // Sensor noise goes on the reading, not into the room's state.
      return {
        temperature: round1(clamp(state.temperature + rng.normal(0, 0.1), -40, 85)),
        humidity: round1(clamp(state.humidity + rng.normal(0, 0.5), 0, 100)),
        co2: Math.round(Math.max(0, state.co2 + rng.normal(0, 8))),
        pm25: round1(Math.max(0, state.pm25 * (1 + rng.normal(0, 0.05))))
      }
    }
  }
}
