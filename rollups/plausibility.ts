// Event counts no station's devices can physically produce in a day: a day above one of them
// was fed by a faulty or hostile device (the hardening issue saw 1.5M door events for one
// station-day), so its figures are flagged in completeness rather than trusted. Limits are per
// 24 h and scale with the time looked at (a 23 h day, 12 open hours). Docs: docs/rollups.md.
import type { Agg } from './aggregate.ts'

export type PlausibilityLimits = { doorEvents: number, occupancyMessages: number, environmentSamples: number }
export type ImplausibleStream = 'door' | 'occupancy' | 'environment'

export const DEFAULT_PLAUSIBILITY: PlausibilityLimits = {
  // One passage through a face-recognition door takes at least ~4 s (match ~1 s, the door
  // opening and closing ~3 s): 86,400 s / 4.3 s ≈ 20,000 is one door in use without a pause for
  // 24 h. A busy station sees a few hundred a day (~10k a month).
  doorEvents: 20_000,
  // The counter reports each change (at most an in and an out per passage) and a heartbeat at
  // least every 5 minutes: 2 × 20,000 + 288, rounded up.
  occupancyMessages: 50_000,
  // One sample a minute is expected (1,440); ten times that is a sensor sampling every 6 s.
  environmentSamples: 14_400
}

/** Streams of an aggregate with more events than its time allows. */
export function implausibleStreams (a: Agg, limits: PlausibilityLimits = DEFAULT_PLAUSIBILITY): ImplausibleStream[] {
  const days = a.minutes / 1440
  const out: ImplausibleStream[] = []
  if (a.doorEvents > limits.doorEvents * days) out.push('door')
  if (a.occMessages > limits.occupancyMessages * days) out.push('occupancy')
  if (a.envSamples > limits.environmentSamples * days) out.push('environment')
  return out
}
