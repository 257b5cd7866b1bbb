import { createRng, hashSeed } from './random.ts'
import { zonedTimeToUtc } from './local-time.ts'

// Faults on demand, as `kind:target[:arg...][@start]` (CLI: --fault, repeatable):
//   offline:sz-0003:2h@2026-03-02T11:00   device offline for 2 h: it buffers, then uploads
//                                         the backlog on the batch topics (<= 500 per batch)
//   door-stuck:sz-0003:45m               door open: nobody scans, the counter still counts
//   drift:sz-0003:6h                     environment sensor drifts (CO2 +150 ppm/h, +0.5 °C/h)
//   clock-skew:sz-0003:+90s[:3h]         device clock off by +90 s (for 3 h, default: the run)
//   duplicates:*:2%                      2% of messages sent twice (same payload, same seq)
// target: a station id, `*` (every station) or `N%` (a deterministic N% sample).
// start: local wall time in the station's zone (YYYY-MM-DDTHH:MM) or `+6h` after the run
// start; default `+1h`. Durations: 90s, 30m, 2h, 1d.

export type FaultKind = 'offline' | 'door-stuck' | 'drift' | 'clock-skew' | 'duplicates'
export type FaultSpec = {
  kind: FaultKind
  target: string
  /** Window length (ms); clock-skew: undefined = whole run. */
  durationMs?: number
  /** clock-skew: offset (ms); duplicates: probability. */
  amount?: number
  start?: { local: string } | { afterMs: number }
  text: string
}
export type Window = [from: number, to: number]

/** Faults resolved for one station over one run. */
export type StationFaults = {
  offline: Window[]
  doorStuck: Window[]
  drift: Window[]
  skew: Array<{ window: Window, offsetMs: number }>
  duplicateRate: number
}

export const DRIFT_CO2_PER_HOUR = 150
export const DRIFT_TEMP_PER_HOUR = 0.5
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const KINDS: FaultKind[] = ['offline', 'door-stuck', 'drift', 'clock-skew', 'duplicates']

export function parseDuration (text: string): number {
  const m = /^([+-]?)(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text)
  if (m === null) throw new Error(`bad duration ${JSON.stringify(text)}: use e.g. 90s, 30m, 2h, 1d`)
  return (m[1] === '-' ? -1 : 1) * Math.round(Number(m[2]) * (UNITS[m[3] as string] as number))
}

export function parseFault (text: string): FaultSpec {
  const [body, at] = text.split('@') as [string, string | undefined]
  const [kind, target, a, b] = body.split(':')
  if (!KINDS.includes(kind as FaultKind)) throw new Error(`fault ${JSON.stringify(text)}: kind must be one of ${KINDS.join(', ')}`)
  if (target === undefined || target === '') throw new Error(`fault ${JSON.stringify(text)}: missing station (an id, * or N%)`)
  const spec: FaultSpec = { kind: kind as FaultKind, target, text }
  if (at !== undefined) {
    spec.start = at.startsWith('+') ? { afterMs: parseDuration(at) } : { local: at }
    if ('local' in spec.start && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(at)) throw new Error(`fault ${JSON.stringify(text)}: start must be YYYY-MM-DDTHH:MM (station local time) or +DURATION`)
  }
  if (spec.kind === 'duplicates') {
    const rate = a === undefined ? 0.01 : a.endsWith('%') ? Number(a.slice(0, -1)) / 100 : Number(a)
    if (!(rate >= 0 && rate <= 1)) throw new Error(`fault ${JSON.stringify(text)}: rate must be 0..1 or 0%..100%`)
    spec.amount = rate
  } else if (spec.kind === 'clock-skew') {
    if (a === undefined) throw new Error(`fault ${JSON.stringify(text)}: needs an offset, e.g. clock-skew:sz-0001:+90s`)
    spec.amount = parseDuration(a)
    if (b !== undefined) spec.durationMs = parseDuration(b)
  } else {
    if (a === undefined) throw new Error(`fault ${JSON.stringify(text)}: needs a duration, e.g. ${spec.kind}:sz-0001:2h`)
    spec.durationMs = parseDuration(a)
    if (spec.durationMs <= 0) throw new Error(`fault ${JSON.stringify(text)}: duration must be > 0`)
  }
  return spec
}

function targets (spec: FaultSpec, stationId: string, seed: number | string): boolean {
  if (spec.target === '*') return true
  if (spec.target.endsWith('%')) {
    return createRng(hashSeed(seed, stationId, 'fault-sample', spec.text)).next() < Number(spec.target.slice(0, -1)) / 100
  }
  return spec.target === stationId
}

/** The faults that hit one station during a run starting at `runStart`. */
export function faultsFor (specs: FaultSpec[], station: { id: string, timeZone: string }, runStart: number, seed: number | string): StationFaults {
  const out: StationFaults = { offline: [], doorStuck: [], drift: [], skew: [], duplicateRate: 0 }
  for (const spec of specs) {
    if (!targets(spec, station.id, seed)) continue
    const start = spec.start === undefined ? runStart + UNITS.h!
      : 'afterMs' in spec.start ? runStart + spec.start.afterMs
        : zonedTimeToUtc(spec.start.local.slice(0, 10), Number(spec.start.local.slice(11, 13)) * 60 + Number(spec.start.local.slice(14, 16)), station.timeZone)
    const window: Window = [start, spec.durationMs === undefined ? Infinity : start + spec.durationMs]
    if (spec.kind === 'offline') out.offline.push(window)
    if (spec.kind === 'door-stuck') out.doorStuck.push(window)
    if (spec.kind === 'drift') out.drift.push(window)
    if (spec.kind === 'clock-skew') out.skew.push({ window: spec.durationMs === undefined ? [-Infinity, Infinity] : window, offsetMs: spec.amount ?? 0 })
    if (spec.kind === 'duplicates') out.duplicateRate = Math.max(out.duplicateRate, spec.amount ?? 0)
  }
  return out
}

export const within = (windows: Window[], ms: number): Window | undefined => windows.find(([a, b]) => ms >= a && ms < b)

/** Device clock offset at true time `ms`. */
export function skewAt (f: StationFaults, ms: number): number {
  let offset = 0
  for (const s of f.skew) if (ms >= s.window[0] && ms < s.window[1]) offset += s.offsetMs
  return offset
}

/** An environment reading as a drifting sensor reports it. */
export function drifted<P extends { ts: number, co2?: number | undefined, temperature?: number | undefined }> (f: StationFaults, trueTs: number, payload: P): P {
  const w = within(f.drift, trueTs)
  if (w === undefined) return payload
  const hours = (trueTs - w[0]) / UNITS.h!
  const out = { ...payload }
  if (out.co2 !== undefined) out.co2 = Math.min(40_000, Math.round(out.co2 + DRIFT_CO2_PER_HOUR * hours))
  if (out.temperature !== undefined) out.temperature = Math.min(85, Math.round((out.temperature + DRIFT_TEMP_PER_HOUR * hours) * 10) / 10)
  return out
}

export const hasFaults = (f: StationFaults): boolean =>
  f.offline.length + f.doorStuck.length + f.drift.length + f.skew.length > 0 || f.duplicateRate > 0
