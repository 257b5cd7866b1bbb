import { createHash } from 'node:crypto'

// A small seeded PRNG so that a simulated station is reproducible: the same seed, station and
// date always give the same day, which is what lets tests compare API figures with ground truth
// and lets a backfill be re-run to the same data. Not for anything security related.

export type Rng = {
  /** Uniform in [0, 1). */
  next (): number
  uniform (min: number, max: number): number
  /** Integer in [min, max], both inclusive. */
  int (min: number, max: number): number
  chance (p: number): boolean
  normal (mean?: number, sd?: number): number
  /** exp(normal(ln median, sigma)): median stays `median` whatever the spread. */
  logNormal (median: number, sigma: number): number
  exponential (rate: number): number
  poisson (lambda: number): number
  pick<T> (items: readonly T[]): T
  weightedPick<T> (items: readonly T[], weights: ArrayLike<number>): T
}

/** Stable 32-bit seed from any parts (seed, station, date, purpose...). */
export function hashSeed (...parts: Array<string | number>): number {
  return createHash('sha256').update(parts.join('|')).digest().readUInt32BE(0)
}

export function createRng (seed: number | string): Rng {
  // mulberry32: one 32-bit word of state, good enough statistics for a traffic model.
  let state = (typeof seed === 'number' ? seed : hashSeed(seed)) >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  const normal = (mean = 0, sd = 1): number => {
    // Box-Muller; 1 - next() keeps the log argument in (0, 1].
    const u = 1 - next()
    const v = next()
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  const poisson = (lambda: number): number => {
    if (lambda <= 0) return 0
    if (lambda > 30) return Math.max(0, Math.round(normal(lambda, Math.sqrt(lambda))))
    // Knuth: exact, and cheap for the small per-minute rates the day model uses.
    const limit = Math.exp(-lambda)
    let k = 0
    let p = next()
    while (p > limit) {
      k++
      p *= next()
    }
    return k
  }

  const weightedPick = <T>(items: readonly T[], weights: ArrayLike<number>): T => {
    if (items.length === 0 || items.length !== weights.length) throw new Error('weightedPick: items and weights must be non-empty and of equal length')
    let total = 0
    for (let i = 0; i < weights.length; i++) total += Math.max(0, weights[i] ?? 0)
    let r = next() * total
    for (let i = 0; i < items.length; i++) {
      r -= Math.max(0, weights[i] ?? 0)
      if (r < 0) return items[i] as T
    }
    return items[items.length - 1] as T
  }

  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    normal,
    logNormal: (median, sigma) => median * Math.exp(normal(0, sigma)),
    exponential: (rate) => -Math.log(1 - next()) / rate,
    poisson,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick: empty list')
      return items[Math.floor(next() * items.length)] as (typeof items)[number]
    },
    weightedPick
  }
}
