import { MAX_SEQ, type AnyEvent } from '../contract/index.ts'
import { doorWasOpen, type DayPlan } from './day-model.ts'
import { createEnvironmentModel, type AcState } from './environment-model.ts'
import { localDay } from './local-time.ts'

// Turns a day plan into the MQTT messages a station's devices send that day:
//   door controller: 'in' granted at each entry, 'out' granted at each exit, 'in' denied per
//     refused attempt (none while the door stands open: see faults.ts);
//   sensor hub: an occupancy message on every change seen by the people counter (which sees a
//     person COUNTER_LAG_MS after the door opens), a heartbeat occupancy message every 5
//     minutes, an environment reading every minute, and an equipment message whenever an
//     appliance switches (AC from the room model, microwave, chargers, lights);
//   shelf sensor (only when `devices.shelf` is given: a sensor hub may not publish supply):
//     supply levels on every change and hourly.
// A station gateway (device kind `hub`) that speaks for all of them is the same device id in
// every role; seq then runs over all its messages.
// Occupancy starts at 0 at local midnight because the plan empties the station before then.
// The messages are produced lazily (`dayEvents`), so a fleet of thousands of stations holds
// only each station's plan, never a whole day of messages.

export type DeviceCursor = { deviceId: string, seq: number }
export type StationDevices = { door: DeviceCursor, sensors: DeviceCursor, shelf?: DeviceCursor }
type Role = 'door' | 'sensors' | 'shelf'

const MIN = 60_000
export const COUNTER_LAG_MS = 1_500
export const HEARTBEAT_MS = 5 * MIN
export const ENVIRONMENT_MS = MIN
// Environment readings sit mid-minute, away from the heartbeats on the same device.
const ENVIRONMENT_OFFSET_MS = 30_000
const AC_POWER_W = { cool: 1100, heat: 1400 }

type Make = (device: string, ts: number, seq: number) => AnyEvent
/** `skip` keeps a stateful source right when the message is not wanted (see dayEvents' `from`). */
type Draft = { ts: number, rank: number, make: Make, skip?: () => void }
// On a tie: an exit is counted before an entry, so the count never overshoots.
const RANK = { out: 0, in: 1, beat: 2, env: 3, equipment: 4, supply: 5 } as const

/** All messages of the day, time-ordered (see dayEvents). */
export function eventsForDay (plan: DayPlan, devices: StationDevices): AnyEvent[] {
  return [...dayEvents(plan, devices)]
}

/**
 * Time-ordered messages of one day, produced on demand. Each device's seq starts at its
 * cursor's seq and grows by one per message (wrapping after 2^32 - 1); the next day continues
 * at seq + that device's message count. Within a role, ts is strictly increasing (equal
 * instants are nudged by 1 ms). On equal ts the door comes first, then the hub, then the shelf.
 */
export function * dayEvents (plan: DayPlan, devices: StationDevices, opts: { from?: number } = {}): Generator<AnyEvent> {
  const from = opts.from ?? -Infinity
  const streams = (['door', 'sensors', 'shelf'] as const)
    .filter((role) => role !== 'shelf' || devices.shelf !== undefined)
    .map((role) => ({ role, it: nudged(merge(sourcesOf(plan, role))), head: undefined as Draft | undefined }))
  for (const s of streams) s.head = s.it.next().value ?? undefined
  const next = new Map<string, number>()
  for (const role of ['door', 'sensors', 'shelf'] as const) {
    const c = devices[role]
    if (c !== undefined && !next.has(c.deviceId)) next.set(c.deviceId, c.seq)
  }
  for (;;) {
    let best: (typeof streams)[number] | undefined
    for (const s of streams) if (s.head !== undefined && (best?.head === undefined || s.head.ts < best.head.ts)) best = s
    if (best?.head === undefined) return
    const draft = best.head
    best.head = best.it.next().value ?? undefined
    const deviceId = (devices[best.role] as DeviceCursor).deviceId
    const seq = next.get(deviceId) as number
    next.set(deviceId, seq >= MAX_SEQ ? 0 : seq + 1)
    // Messages before `from` are counted (seq) but not built: starting mid-day stays cheap
    // and gives exactly the messages, seq included, of a stream started at midnight.
    if (draft.ts < from) draft.skip?.()
    else yield draft.make(deviceId, draft.ts, seq)
  }
}

function * nudged (drafts: Iterable<Draft>): Generator<Draft> {
  let last = -Infinity
  for (const d of drafts) {
    last = Math.max(d.ts, last + 1)
    yield last === d.ts ? d : { ...d, ts: last }
  }
}

/** Lazy merge of sources that are each ordered by (ts, rank). */
function * merge (sources: Array<Iterator<Draft>>): Generator<Draft> {
  const heads = sources.map((it) => it.next().value as Draft | undefined)
  for (;;) {
    let k = -1
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]
      const b = k < 0 ? undefined : heads[k]
      if (h !== undefined && (b === undefined || h.ts < b.ts || (h.ts === b.ts && h.rank < b.rank))) k = i
    }
    if (k < 0) return
    const d = heads[k] as Draft
    heads[k] = sources[k]!.next().value as Draft | undefined
    yield d
  }
}

function sourcesOf (plan: DayPlan, role: Role): Array<Iterator<Draft>> {
  if (role === 'door') return [doorDrafts(plan)[Symbol.iterator]()]
  if (role === 'sensors') return sensorSources(plan)
  return [supplyDrafts(plan)[Symbol.iterator]()]
}

const sorted = (drafts: Draft[]): Draft[] => drafts.sort((a, b) => a.ts - b.ts || a.rank - b.rank)
const inside = (plan: DayPlan, ts: number): boolean => ts >= plan.startMs && ts < plan.endMs

function doorDrafts (plan: DayPlan): Draft[] {
  const drafts: Draft[] = []
  for (const v of plan.visits) {
    if (!doorWasOpen(plan, v.enterMs)) {
      drafts.push({ ts: v.enterMs, rank: 1, make: (device, ts, seq) => ({ channel: 'door', payload: { device, ts, seq, direction: 'in', method: v.method, result: 'granted', worker: v.worker } }) })
    }
    if (!doorWasOpen(plan, v.exitMs)) {
      drafts.push({ ts: v.exitMs, rank: 0, make: (device, ts, seq) => ({ channel: 'door', payload: { device, ts, seq, direction: 'out', method: v.method, result: 'granted', worker: v.worker } }) })
    }
  }
  for (const d of plan.denied) {
    if (doorWasOpen(plan, d.ms)) continue
    drafts.push({
      ts: d.ms,
      rank: 2,
      make: (device, ts, seq) => ({ channel: 'door', payload: { device, ts, seq, direction: 'in', method: d.method, result: 'denied', ...(d.worker === undefined ? {} : { worker: d.worker }) } })
    })
  }
  return sorted(drafts)
}

function supplyDrafts (plan: DayPlan): Draft[] {
  return plan.amenities.supply.map((r) => ({
    ts: r.ms,
    rank: RANK.supply,
    make: (device, ts, seq) => ({ channel: 'supply', payload: { device, ts, seq, item: r.item, quantity: r.quantity, capacity: r.capacity } })
  }))
}

function sensorSources (plan: DayPlan): Array<Iterator<Draft>> {
  const state = { count: 0, entered: 0, exited: 0 }
  const apply = (kind: 'in' | 'out' | 'beat') => {
    if (kind === 'in') { state.count++; state.entered++ }
    if (kind === 'out') { state.count--; state.exited++ }
    const reading = { count: state.count, entered: state.entered, exited: state.exited }
    state.entered = 0
    state.exited = 0
    return reading
  }
  const occupancy = (kind: 'in' | 'out' | 'beat'): Make => (device, ts, seq) => ({ channel: 'occupancy', payload: { device, ts, seq, ...apply(kind) } })
  const skipIn = () => { apply('in') }
  const skipOut = () => { apply('out') }
  const changes: Draft[] = []
  for (const v of plan.visits) {
    changes.push({ ts: v.enterMs + COUNTER_LAG_MS, rank: RANK.in, make: occupancy('in'), skip: skipIn })
    changes.push({ ts: v.exitMs + COUNTER_LAG_MS, rank: RANK.out, make: occupancy('out'), skip: skipOut })
  }
  const equipment: Draft[] = []
  for (const u of plan.amenities.uses) {
    for (const [ts, on] of [[u.onMs, true], [u.offMs, false]] as const) {
      if (!inside(plan, ts)) continue
      equipment.push({ ts, rank: RANK.equipment, make: (device, ts, seq) => ({ channel: 'equipment', payload: { device, ts, seq, appliance: u.appliance, unit: u.unit, state: on ? 'on' : 'off', powerW: on ? u.powerW : 0 } }) })
    }
  }
  return [sorted(changes)[Symbol.iterator](), beats(plan, occupancy('beat'), () => { apply('beat') }), environment(plan), sorted(equipment)[Symbol.iterator]()]
}

function * beats (plan: DayPlan, make: Make, skip: () => void): Generator<Draft> {
  for (let t = plan.startMs; t < plan.endMs; t += HEARTBEAT_MS) yield { ts: t, rank: RANK.beat, make, skip }
}

// The people counter's view of who is inside, from the plan: a change at the same instant as
// a reading is counted before it (its rank is lower), as in the message order.
function * environment (plan: DayPlan): Generator<Draft> {
  const day = localDay(plan.date, plan.timeZone)
  const env = createEnvironmentModel({ seed: plan.seed, stationId: plan.stationId, date: plan.date, weather: plan.weather })
  const enters = plan.visits.map((v) => v.enterMs + COUNTER_LAG_MS).sort((a, b) => a - b)
  const exits = plan.visits.map((v) => v.exitMs + COUNTER_LAG_MS).sort((a, b) => a - b)
  let i = 0
  let j = 0
  let reported: AcState | undefined
  for (let t = plan.startMs + ENVIRONMENT_OFFSET_MS; t < plan.endMs; t += ENVIRONMENT_MS) {
    while (i < enters.length && (enters[i] as number) <= t) i++
    while (j < exits.length && (exits[j] as number) <= t) j++
    const values = env.next(day.minuteOfDay(t), i - j)
    yield { ts: t, rank: RANK.env, make: (device, ts, seq) => ({ channel: 'environment', payload: { device, ts, seq, ...values } }) }
    // Reported once at the start of the day (state after the night) and on every switch.
    if (env.ac !== reported) {
      const ac = reported = env.ac
      yield { ts: t, rank: RANK.equipment, make: (device, ts, seq) => ({ channel: 'equipment', payload: { device, ts, seq, appliance: 'ac', unit: 1, state: ac.on ? 'on' : 'off', powerW: ac.on ? AC_POWER_W[ac.mode] : 0, setpoint: ac.setpoint } }) }
    }
  }
}
