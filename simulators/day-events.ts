import { MAX_SEQ, type AnyEvent } from '../contract/index.ts'
import type { DayPlan } from './day-model.ts'
import { createEnvironmentModel } from './environment-model.ts'
import { localDay } from './local-time.ts'

// Turns a day plan into the MQTT messages a station's two devices send that day:
//   door controller: 'in' granted at each entry, 'out' granted at each exit, 'in' denied per
//     refused attempt;
//   sensor hub: an occupancy message on every change seen by the people counter (which sees a
//     person COUNTER_LAG_MS after the door opens), a heartbeat occupancy message every 5
//     minutes, and an environment reading every minute.
// Occupancy starts at 0 at local midnight because the plan empties the station before then.

export type DeviceCursor = { deviceId: string, seq: number }
export type StationDevices = { door: DeviceCursor, sensors: DeviceCursor }
type Role = keyof StationDevices

const MIN = 60_000
export const COUNTER_LAG_MS = 1_500
export const HEARTBEAT_MS = 5 * MIN
export const ENVIRONMENT_MS = MIN
// Environment readings sit mid-minute, away from the heartbeats on the same device.
const ENVIRONMENT_OFFSET_MS = 30_000

type Draft = { ts: number, role: Role, rank: number, make: (device: string, ts: number, seq: number) => AnyEvent }

/**
 * Time-ordered messages of one day. Each device's seq starts at its cursor's seq and grows by
 * one per message (wrapping after 2^32 - 1); the next day continues at seq + that device's
 * message count. Within a device, ts is strictly increasing (equal instants are nudged by
 * 1 ms), so (device, ts) alone is unique too.
 */
export function eventsForDay (plan: DayPlan, devices: StationDevices): AnyEvent[] {
  const drafts: Draft[] = [...doorDrafts(plan), ...sensorDrafts(plan)]
  const out: Array<{ ts: number, role: Role, make: Draft['make'] }> = []
  for (const role of ['door', 'sensors'] as const) {
    const mine = drafts.filter((d) => d.role === role).sort((a, b) => a.ts - b.ts || a.rank - b.rank)
    let last = -Infinity
    for (const d of mine) {
      last = Math.max(d.ts, last + 1)
      out.push({ ts: last, role, make: d.make })
    }
  }
  // Stable sort keeps each device's own order on ties across devices.
  out.sort((a, b) => a.ts - b.ts)
  const next = { door: devices.door.seq, sensors: devices.sensors.seq }
  return out.map((d) => {
    const seq = next[d.role]
    next[d.role] = seq >= MAX_SEQ ? 0 : seq + 1
    return d.make(devices[d.role].deviceId, d.ts, seq)
  })
}

function doorDrafts (plan: DayPlan): Draft[] {
  const drafts: Draft[] = []
  for (const v of plan.visits) {
    drafts.push({ ts: v.enterMs, role: 'door', rank: 1, make: (device, ts, seq) => ({ channel: 'door', payload: { device, ts, seq, direction: 'in', method: v.method, result: 'granted', worker: v.worker } }) })
    drafts.push({ ts: v.exitMs, role: 'door', rank: 0, make: (device, ts, seq) => ({ channel: 'door', payload: { device, ts, seq, direction: 'out', method: v.method, result: 'granted', worker: v.worker } }) })
  }
  for (const d of plan.denied) {
    drafts.push({
      ts: d.ms,
      role: 'door',
      rank: 2,
      make: (device, ts, seq) => ({ channel: 'door', payload: { device, ts, seq, direction: 'in', method: d.method, result: 'denied', ...(d.worker === undefined ? {} : { worker: d.worker }) } })
    })
  }
  return drafts
}

type SensorItem = { ms: number, kind: 'out' | 'in' | 'beat' | 'env' }
// On a tie an exit is counted before an entry, so the count never overshoots.
const KIND_RANK: Record<SensorItem['kind'], number> = { out: 0, in: 1, beat: 2, env: 3 }

function sensorDrafts (plan: DayPlan): Draft[] {
  const items: SensorItem[] = []
  for (const v of plan.visits) {
    items.push({ ms: v.enterMs + COUNTER_LAG_MS, kind: 'in' }, { ms: v.exitMs + COUNTER_LAG_MS, kind: 'out' })
  }
  for (let t = plan.startMs; t < plan.endMs; t += HEARTBEAT_MS) items.push({ ms: t, kind: 'beat' })
  for (let t = plan.startMs + ENVIRONMENT_OFFSET_MS; t < plan.endMs; t += ENVIRONMENT_MS) items.push({ ms: t, kind: 'env' })
  items.sort((a, b) => a.ms - b.ms || KIND_RANK[a.kind] - KIND_RANK[b.kind])

  const day = localDay(plan.date, plan.timeZone)
  const env = createEnvironmentModel({ seed: plan.seed, stationId: plan.stationId, date: plan.date })
  const drafts: Draft[] = []
  let count = 0
  let entered = 0
  let exited = 0
  for (const item of items) {
    const rank = KIND_RANK[item.kind]
    if (item.kind === 'env') {
      const values = env.next(day.minuteOfDay(item.ms), count)
      drafts.push({ ts: item.ms, role: 'sensors', rank, make: (device, ts, seq) => ({ channel: 'environment', payload: { device, ts, seq, ...values } }) })
      continue
    }
    if (item.kind === 'in') { count++; entered++ }
    if (item.kind === 'out') { count--; exited++ }
    const reading = { count, entered, exited }
    entered = 0
    exited = 0
    drafts.push({ ts: item.ms, role: 'sensors', rank, make: (device, ts, seq) => ({ channel: 'occupancy', payload: { device, ts, seq, ...reading } }) })
  }
  return drafts
}
