// The comfort band: the indoor conditions a station promises (warm in winter, cool in summer,
// fresh air). A sample is comfortable when every quantity it reports lies inside the band,
// bounds included. Rollups count samples against DEFAULT_BAND; a request with another band is
// answered from raw events (see docs/rollups.md).
import type { Quantity } from './aggregate.ts'

export type Range = { min: number | null, max: number | null }
export type ComfortBand = Record<Quantity, Range>

// Defaults after GB/T 18883-2022 (indoor air quality): CO2 ≤ 0.10 % (1000 ppm), PM2.5 ≤ 50 µg/m³
// (24 h); temperature and humidity between its winter and summer ranges (16-24 °C / 22-28 °C,
// 30-60 % / 40-80 % RH), i.e. what a heated-in-winter, cooled-in-summer cabin should hold.
export const DEFAULT_BAND: ComfortBand = {
  temperature: { min: 18, max: 26 },
  humidity: { min: 30, max: 70 },
  co2: { min: null, max: 1000 },
  pm25: { min: null, max: 50 }
}

export function inRange (v: number, r: Range): boolean {
  return (r.min === null || v >= r.min) && (r.max === null || v <= r.max)
}

export function sameBand (a: ComfortBand, b: ComfortBand): boolean {
  return (Object.keys(a) as Quantity[]).every((q) => a[q].min === b[q].min && a[q].max === b[q].max)
}

/** "18..26", "..1000", "30.." → Range; null when malformed. */
export function parseRange (s: string): Range | null {
  const m = /^(-?\d+(?:\.\d+)?)?\.\.(-?\d+(?:\.\d+)?)?$/.exec(s)
  if (!m || (m[1] === undefined && m[2] === undefined)) return null
  const r = { min: m[1] === undefined ? null : Number(m[1]), max: m[2] === undefined ? null : Number(m[2]) }
  if (r.min !== null && r.max !== null && r.min > r.max) return null
  return r
}

export const formatRange = (r: Range): string => `${r.min ?? ''}..${r.max ?? ''}`
