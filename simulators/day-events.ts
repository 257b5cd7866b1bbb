import { MAX_SEQ, type AnyEvent } from '../contract/index.ts'
import { SUPPLY_ITEMS } from './amenities-model.ts'
import { doorWasOpen, type DayPlan } from './day-model.ts'
import { sensorStream } from './sensor-stream.ts'
import { nudge, timelineBuilder, type RoleStream, type Timeline } from './timeline.ts'
import type { VisitMethod } from './worker-pool.ts'

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
// The messages are produced lazily (`dayEvents`, `createDayStream`): a fleet of thousands of
// stations holds a few compact arrays per station (timeline.ts), neither a day of messages nor
// the plan's objects, and builds each message only when it is sent.

export { COUNTER_LAG_MS, ENVIRONMENT_MS, HEARTBEAT_MS } from './sensor-stream.ts'

export type DeviceCursor = { deviceId: string, seq: number }
export type StationDevices = { door: DeviceCursor, sensors: DeviceCursor, shelf?: DeviceCursor }

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
  const stream = createDayStream(plan, devices, opts.from)
  for (let e = stream.take(); e !== undefined; e = stream.take()) yield e
}

export type DayStream = {
  /** The next message, or undefined when the day is done. */
  take (): AnyEvent | undefined
}

/** dayEvents without the generator, for the fleet's scheduler. */
export function createDayStream (plan: DayPlan, devices: StationDevices, from = -Infinity): DayStream {
  // A station gateway is the same device in every role: one seq counter per device id.
  const counters = new Map<string, { seq: number }>()
  const roles: Array<{ stream: RoleStream, deviceId: string, counter: { seq: number } }> = []
  for (const role of ['door', 'sensors', 'shelf'] as const) {
    const c = devices[role]
    if (c === undefined) continue
    let counter = counters.get(c.deviceId)
    if (counter === undefined) counters.set(c.deviceId, counter = { seq: c.seq })
    const stream = role === 'door' ? doorStream(plan) : role === 'sensors' ? sensorStream(plan) : shelfStream(plan)
    roles.push({ stream, deviceId: c.deviceId, counter })
  }
  return {
    take () {
      for (;;) {
        let best: (typeof roles)[number] | undefined
        let ts = Infinity
        for (const r of roles) if (r.stream.headTs < ts) { best = r; ts = r.stream.headTs }
        if (best === undefined) return undefined
        const seq = best.counter.seq
        best.counter.seq = seq >= MAX_SEQ ? 0 : seq + 1
        // Messages before `from` are counted (seq) but not built: starting mid-day stays cheap
        // and gives exactly the messages, seq included, of a stream started at midnight.
        if (ts < from) best.stream.skip()
        else return best.stream.emit(best.deviceId, seq)
      }
    }
  }
}

// Door: 'in' granted at entry, 'out' granted at exit, 'in' denied per refused attempt, none
// while the door stands open. What a message needs is copied out of the plan (a code of kind
// and method, and the worker), so that the plan's visit objects need not be kept all day.
const IN = 0
const OUT = 1
const DENIED = 2
const METHODS: readonly VisitMethod[] = ['face', 'card', 'qr']

/** The door's messages in order: times, codes (kind | method << 2) and workers. */
function doorTimeline (plan: DayPlan): { t: Timeline, code: Int32Array, worker: Array<string | undefined> } {
  const b = timelineBuilder()
  const codes: number[] = []
  const workers: Array<string | undefined> = []
  const add = (ms: number, rank: number, kind: number, method: VisitMethod, worker: string | undefined) => {
    b.push(ms, rank, codes.length)
    codes.push(kind | (METHODS.indexOf(method) << 2))
    workers.push(worker)
  }
  for (const v of plan.visits) {
    // On a tie an exit comes before an entry, then a refusal.
    if (!doorWasOpen(plan, v.enterMs)) add(v.enterMs, 1, IN, v.method, v.worker)
    if (!doorWasOpen(plan, v.exitMs)) add(v.exitMs, 0, OUT, v.method, v.worker)
  }
  for (const d of plan.denied) if (!doorWasOpen(plan, d.ms)) add(d.ms, 2, DENIED, d.method, d.worker)
  const t = b.build()
  return { t, code: Int32Array.from(t.code, (j) => codes[j]!), worker: Array.from(t.code, (j) => workers[j]) }
}

function doorStream (plan: DayPlan): RoleStream {
  // Built apart, so that the stream's closures keep only the result, not the builder's lists.
  const { t, code, worker } = doorTimeline(plan)
  let k = 0
  const self: RoleStream = {
    headTs: t.length > 0 ? t.ts[0]! : Infinity,
    emit (device, seq) {
      const ts = self.headTs
      const c = code[k]!
      const method = METHODS[c >> 2]!
      const w = worker[k]
      const event: AnyEvent = (c & 3) === DENIED
        ? { channel: 'door', payload: { device, ts, seq, direction: 'in', method, result: 'denied', ...(w === undefined ? {} : { worker: w }) } }
        : { channel: 'door', payload: { device, ts, seq, direction: (c & 3) === IN ? 'in' : 'out', method, result: 'granted', worker: w! } }
      self.skip()
      return event
    },
    skip () {
      k++
      self.headTs = k < t.length ? nudge(t.ts[k]!, self.headTs) : Infinity
    }
  }
  return self
}

// Shelf: the amenities plan's readings (on every take and restock, and hourly), in its order,
// copied into typed arrays (the plan's reading objects took ~11 KB a station-day).
function shelfStream (plan: DayPlan): RoleStream {
  const supply = plan.amenities.supply
  const ms = Float64Array.from(supply, (r) => r.ms)
  const item = Uint8Array.from(supply, (r) => SUPPLY_ITEMS.indexOf(r.item))
  const quantity = Float64Array.from(supply, (r) => r.quantity)
  const capacity = Float64Array.from(supply, (r) => r.capacity)
  let k = 0
  const self: RoleStream = {
    headTs: ms.length > 0 ? ms[0]! : Infinity,
    emit (device, seq) {
      const event: AnyEvent = { channel: 'supply', payload: { device, ts: self.headTs, seq, item: SUPPLY_ITEMS[item[k]!]!, quantity: quantity[k]!, capacity: capacity[k]! } }
      self.skip()
      return event
    },
    skip () {
      k++
      self.headTs = k < ms.length ? nudge(ms[k]!, self.headTs) : Infinity
    }
  }
  return self
}
