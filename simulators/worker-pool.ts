import { createHash } from 'node:crypto'
import { createRng, hashSeed } from './random.ts'

// Who uses a station. Workers are only ever pseudonyms ('w_' + 32 hex), derived from the seed
// so a simulated station always has the same regulars, and never anything like a name.

export type Segment = 'rider' | 'courier' | 'sanitation' | 'other'
export type VisitMethod = 'face' | 'card' | 'qr'

export type WorkerProfile = {
  segment: Segment
  /** Probability of coming on a given day. */
  attendance: number
  /** Relative share of that segment's visits among the regulars present. */
  weight: number
  /** The credential this person normally uses. */
  method: VisitMethod
}

export function workerId (seed: number | string, stationId: string, kind: string, index: number): string {
  const hex = createHash('sha256').update(`waystation-sim|${seed}|${stationId}|${kind}|${index}`).digest('hex')
  return `w_${hex.slice(0, 32)}`
}

/** The regulars of a station. A pool of about busyness / 4 gives 3-5 visits per regular per day. */
export function createWorkerPool (opts: { seed: number | string, stationId: string, size: number }): string[] {
  return Array.from({ length: opts.size }, (_, i) => workerId(opts.seed, opts.stationId, 'regular', i))
}

/** A worker seen for the first (and usually only) time on `date`. */
export function newcomerId (seed: number | string, stationId: string, date: string, index: number): string {
  return workerId(seed, stationId, `newcomer:${date}`, index)
}

// Mix of regulars: riders dominate urban rest stations; sanitation crews are few but loyal.
const REGULAR_SEGMENTS: Segment[] = ['rider', 'courier', 'sanitation']
const REGULAR_SHARES = [0.6, 0.25, 0.15]
const ATTENDANCE: Record<Segment, [number, number]> = {
  rider: [0.75, 0.95], courier: [0.6, 0.9], sanitation: [0.85, 0.98], other: [0.1, 0.3]
}

/**
 * Traits of a regular, derived from the id alone: stable across days and independent of the
 * pool's order, so adding regulars does not reshuffle the existing ones.
 */
export function profileOf (worker: string): WorkerProfile {
  let p = profiles.get(worker)
  if (p === undefined) {
    // Every day of every station asks again for each of its regulars: remember them (bounded).
    if (profiles.size >= 500_000) profiles.clear()
    p = computeProfile(worker)
    profiles.set(worker, p)
  }
  return p
}
const profiles = new Map<string, WorkerProfile>()

function computeProfile (worker: string): WorkerProfile {
  const rng = createRng(hashSeed('profile', worker))
  const segment = rng.weightedPick(REGULAR_SEGMENTS, REGULAR_SHARES)
  const [lo, hi] = ATTENDANCE[segment]
  return {
    segment,
    attendance: rng.uniform(lo, hi),
    weight: rng.logNormal(1, 0.4),
    method: rng.weightedPick<VisitMethod>(['face', 'card', 'qr'], [0.72, 0.18, 0.1])
  }
}

/** Newcomers have not enrolled a face yet: mostly a QR code from the app or a temporary card. */
export function newcomerMethod (r: number): VisitMethod {
  return r < 0.6 ? 'qr' : r < 0.85 ? 'card' : 'face'
}
