import { seasonOf, weatherFor, type DayWeather } from './weather.ts'
import { createRng, hashSeed } from './random.ts'

// Indoor climate of a small rest cabin, sampled once a minute, and its air conditioner. Each
// quantity relaxes towards a target set by the outdoor weather, the AC and the people inside,
// like a first-order room model. The AC is a thermostat with hysteresis: it starts cooling
// when the room gets hot and stops when the afternoon heat is over (likewise for heating on
// cold days), so it switches a few times a day at most. The point is that the curves move
// for the right reasons (CO2 tracks occupancy, PM2.5 rush hours, temperature the weather and
// the AC), not meteorological accuracy.

export type EnvironmentValues = { temperature: number, humidity: number, co2: number, pm25: number }
export type AcState = { on: boolean, mode: 'cool' | 'heat', setpoint: number }

export type EnvironmentModel = {
  /** Advance by `dtMinutes` and return the sensor readings at local `minuteOfDay`. */
  next (minuteOfDay: number, occupancy: number, dtMinutes?: number): EnvironmentValues
  /** The AC after the latest `next` (a new object whenever it switched). */
  readonly ac: AcState
}

const OUTDOOR_CO2 = 420 // ppm
const CO2_PER_PERSON = 40 // ppm at steady state: a small cabin with mechanical ventilation
const TAU_MIN = { temperature: 25, humidity: 20, co2: 15, pm25: 30 }
// Thermostat: start cooling at 27 °C inside, stop when it is cool enough outdoors; heating alike.
const COOL_ON = 27
const COOL_OFF_OUTDOOR = 24
const HEAT_ON = 14
const HEAT_OFF_OUTDOOR = 17
const MIN_SWITCH_MINUTES = 30
/** Share of the way to its target each quantity moves in `dt` minutes. */
const relax = (dt: number): EnvironmentValues => ({
  temperature: 1 - Math.exp(-dt / TAU_MIN.temperature),
  humidity: 1 - Math.exp(-dt / TAU_MIN.humidity),
  co2: 1 - Math.exp(-dt / TAU_MIN.co2),
  pm25: 1 - Math.exp(-dt / TAU_MIN.pm25)
})
// The usual step, computed once (a fleet reads 10,000 rooms a simulated minute).
const RELAX_1_MIN = relax(1)

const round1 = (x: number): number => Math.round(x * 10) / 10
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x))
const cosHours = (hour: number, peakHour: number): number => Math.cos((2 * Math.PI * (hour - peakHour)) / 24)
const bump = (hour: number, centre: number, sd: number): number => Math.exp(-0.5 * ((hour - centre) / sd) ** 2)

export type EnvironmentOptions = { seed: number | string, stationId: string, date: string, weather?: DayWeather, region?: string }

export function createEnvironmentModel (opts: EnvironmentOptions): EnvironmentModel {
  const rng = createRng(hashSeed(opts.seed, opts.stationId, opts.date, 'environment'))
  const weather = opts.weather ?? weatherFor(opts.seed, opts.region ?? 'default', opts.date)
  const season = seasonOf(opts.date)
  const swing = weather.maxC - weather.meanC

  const outdoor = (hour: number) => ({
    temp: weather.meanC + swing * cosHours(hour, 15),
    humidity: clamp(66 + 8 * season + weather.humidityDelta + 12 * cosHours(hour, 5), 10, 100),
    pm: (25 - 12 * season) * weather.smog * (1 + 0.4 * bump(hour, 8, 1.2) + 0.4 * bump(hour, 18.5, 1.5))
  })

  let ac: AcState = { on: false, mode: season >= 0 ? 'cool' : 'heat', setpoint: season >= 0 ? 25 : 20 }
  let lastSwitch = -Infinity
  const thermostat = (minute: number, indoor: number, outdoorTemp: number): void => {
    if (minute - lastSwitch < MIN_SWITCH_MINUTES) return
    let next: AcState | undefined
    if (!ac.on && indoor >= COOL_ON) next = { on: true, mode: 'cool', setpoint: weather.maxC >= 33 ? 24 : 25 }
    else if (!ac.on && indoor <= HEAT_ON) next = { on: true, mode: 'heat', setpoint: 20 }
    else if (ac.on && ac.mode === 'cool' && outdoorTemp <= COOL_OFF_OUTDOOR) next = { ...ac, on: false }
    else if (ac.on && ac.mode === 'heat' && outdoorTemp >= HEAT_OFF_OUTDOOR) next = { ...ac, on: false }
    if (next !== undefined) { ac = next; lastSwitch = minute }
  }

  const targets = (out: ReturnType<typeof outdoor>, people: number): EnvironmentValues => {
    // Without AC the cabin runs a little warmer than outside (sun on the roof, people);
    // with it, the setpoint wins most of the way.
    const temperature = ac.on ? ac.setpoint + 0.15 * (out.temp - ac.setpoint) + 0.08 * people : out.temp + 1.5 + 0.12 * people
    return {
      temperature,
      humidity: clamp(0.6 * out.humidity + 15 + 0.7 * people - (ac.on && ac.mode === 'cool' ? 10 : 0), 15, 95),
      co2: OUTDOOR_CO2 + CO2_PER_PERSON * people,
      // The filter removes about half; every door opening lets some street air in.
      pm25: 0.55 * out.pm + 0.8 * people
    }
  }

  let state: EnvironmentValues | undefined
  return {
    get ac () { return ac },
    next (minuteOfDay, occupancy, dtMinutes = 1) {
      // The thermostat and the targets read the same outdoor conditions: computed once.
      const out = outdoor(minuteOfDay / 60)
      if (state === undefined) {
        // The day starts as the night left it: the AC state follows from the small hours.
        thermostat(minuteOfDay, out.temp + 1.5, out.temp)
        state = targets(out, occupancy)
      } else {
        thermostat(minuteOfDay, state.temperature, out.temp)
        const target = targets(out, occupancy)
        const k = dtMinutes === 1 ? RELAX_1_MIN : relax(dtMinutes)
        state.temperature += (target.temperature - state.temperature) * k.temperature
        state.humidity += (target.humidity - state.humidity) * k.humidity
        state.co2 += (target.co2 - state.co2) * k.co2
        state.pm25 += (target.pm25 - state.pm25) * k.pm25
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
