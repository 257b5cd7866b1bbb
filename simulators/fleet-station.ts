import type { IClientOptions } from 'mqtt'
import { MAX_BATCH_EVENTS, MAX_BATCH_PAYLOAD_BYTES, MAX_SEQ, batchTopicFor, topicFor, type AnyEvent, type Channel } from '../contract/index.ts'
import { createDayStream, type DayStream, type StationDevices } from './day-events.ts'
import { connectDevice, type DeviceClient } from './device-client.ts'
import { planDay, type DayPlan } from './day-model.ts'
import { drifted, skewAt, within, type StationFaults, type Window } from './faults.ts'
import type { FleetStation } from './fleet-spec.ts'
import type { createStationTruth } from './ground-truth.ts'
import { addDays, localDateOf } from './local-time.ts'
import { createRng, type Rng } from './random.ts'
import type { SharedTimer } from './shared-timer.ts'
import { createWorkerPool } from './worker-pool.ts'

// One simulated station inside a fleet: its devices' MQTT links, its day plans produced one
// local day at a time, the faults that hit it, and the backlog it holds while offline. The
// fleet's scheduler (fleet.ts) decides when each event goes out.

export type DeviceRole = 'hub' | 'door' | 'sensors' | 'shelf'
export type DeviceCredential = { deviceId: string, secret: string, role: DeviceRole }
export type Link = { deviceId: string, secret: string, client?: DeviceClient, inFlight: number, idle: Array<() => void> }

const DAY = 86_400_000
// seq = a per-day base + the message's index that day: re-running a range sends the very same
// points (idempotent), and a day never needs its predecessors. Status messages use the top.
const SEQ_PER_DAY = 65_536
const STATUS_SEQ_OFFSET = 65_000
const FIRMWARE = 'sim-fleet-1.0'

export function daySeqBase (date: string): number {
  return (Math.round(Date.parse(`${date}T00:00:00Z`) / DAY) * SEQ_PER_DAY) % (MAX_SEQ + 1)
}

export type StationRun = ReturnType<typeof createStationRun>

export function createStationRun (opts: {
  spec: FleetStation
  index: number
  devices: DeviceCredential[]
  seed: number | string
}) {
  const { spec, seed } = opts
  const byRole = new Map(opts.devices.map((d) => [d.role, d]))
  const hub = byRole.get('hub')
  const idOf = (role: 'door' | 'sensors' | 'shelf'): string | undefined => (hub ?? byRole.get(role))?.deviceId
  if (idOf('door') === undefined || idOf('sensors') === undefined) throw new Error(`station ${spec.id}: needs a hub device, or door and sensors devices`)
  const links = new Map<string, Link>(opts.devices.map((d) => [d.deviceId, { deviceId: d.deviceId, secret: d.secret, inFlight: 0, idle: [] }]))
  const workerPool = createWorkerPool({ seed, stationId: spec.id, size: Math.max(10, Math.round(spec.busyness / 4)) })
  let statusCounter = 0
  const topics: Partial<Record<Channel, string>> = {}

  const state = {
    index: opts.index,
    spec,
    /** Set by the fleet at the start of each run. */
    faults: { offline: [], doorStuck: [], drift: [], skew: [], duplicateRate: 0 } as StationFaults,
    /** No faults this run: the scheduler publishes its messages directly (fleet.ts). */
    plain: true,
    truth: undefined as ReturnType<typeof createStationTruth> | undefined,
    links,
    head: undefined as AnyEvent | undefined,
    /** head's ts, kept as a number for the scheduler's heap. */
    headTs: Infinity,
    date: '',
    stream: undefined as DayStream | undefined,
    /** The offline window in force, and what the devices hold meanwhile (per channel, final payloads). */
    offline: undefined as Window | undefined,
    backlog: new Map<Channel, { deviceId: string, payloads: string[] }>(),
    dupRng: createRng(`${String(seed)}|${spec.id}|duplicates`) as Rng,

    /** Plan `date`, give it to the ground truth, and start its message stream (from `from`). */
    startDay (date: string, from?: number): DayPlan {
      const plan = planDay({ stationId: spec.id, seed, date, timeZone: spec.timeZone, busyness: spec.busyness, capacity: spec.capacity, workerPool, region: spec.city })
      const faults = state.faults
      const stuck = faults.doorStuck.filter(([a, b]) => a < plan.endMs && b > plan.startMs)
      if (stuck.length > 0) plan.doorStuck = stuck
      state.truth?.add(plan)
      const base = daySeqBase(date)
      const shelf = idOf('shelf')
      const devices: StationDevices = {
        door: { deviceId: idOf('door')!, seq: base },
        sensors: { deviceId: idOf('sensors')!, seq: base },
        ...(shelf === undefined ? {} : { shelf: { deviceId: shelf, seq: base } })
      }
      state.date = date
      state.stream = createDayStream(plan, devices, from)
      return plan
    },

    /** Move `head` to the next event at or after `from`, rolling into the next local day. */
    advance (from = -Infinity): void {
      for (;;) {
        if (state.stream === undefined) state.startDay(localDateOf(from, spec.timeZone), from)
        const next = state.stream!.take()
        if (next !== undefined) {
          if (next.payload.ts < from) continue
          state.head = next
          state.headTs = next.payload.ts
          return
        }
        state.startDay(addDays(state.date, 1))
      }
    },

    /** The payload as the device sends it: its clock may be off and its sensor drifting. */
    render (event: AnyEvent): string {
      const faults = state.faults
      const ts = event.payload.ts
      let payload: AnyEvent['payload'] = event.payload
      if (event.channel === 'environment' && faults.drift.length > 0) payload = drifted(faults, ts, event.payload)
      const skew = faults.skew.length > 0 ? skewAt(faults, ts) : 0
      if (skew !== 0) payload = { ...payload, ts: ts + skew }
      return JSON.stringify(payload)
    },

    offlineWindowAt: (ts: number): Window | undefined => (state.faults.offline.length > 0 ? within(state.faults.offline, ts) : undefined),

    /** Each channel comes from one device, so a channel's backlog is one device's. */
    hold (channel: Channel, deviceId: string, payload: string): void {
      const held = state.backlog.get(channel) ?? { deviceId, payloads: [] }
      held.payloads.push(payload)
      state.backlog.set(channel, held)
    },

    /** The backlog as batch uploads of one channel each, <= 500 events and <= 256 KiB. */
    takeBatches (): Array<{ topic: string, body: string, channel: Channel, deviceId: string, events: number }> {
      const out: Array<{ topic: string, body: string, channel: Channel, deviceId: string, events: number }> = []
      for (const [channel, { deviceId, payloads }] of state.backlog) {
        let chunk: string[] = []
        let bytes = 12
        const flush = () => {
          if (chunk.length > 0) out.push({ topic: batchTopicFor(spec.id, channel), body: `{"events":[${chunk.join(',')}]}`, channel, deviceId, events: chunk.length })
          chunk = []
          bytes = 12
        }
        for (const p of payloads) {
          if (chunk.length >= MAX_BATCH_EVENTS || bytes + p.length + 1 > MAX_BATCH_PAYLOAD_BYTES) flush()
          chunk.push(p)
          bytes += p.length + 1
        }
        flush()
      }
      state.backlog.clear()
      return out
    },

    linkFor: (deviceId: string): Link => links.get(deviceId) as Link,
    /** Built once per station and channel: a concatenation per message would be flattened again by every publish. */
    topicFor: (channel: Channel): string => (topics[channel] ??= topicFor(spec.id, channel)),

    /** A status message with a seq from the day's reserved top range. */
    status (deviceId: string, st: 'online' | 'offline'): string {
      const now = Date.now()
      const seq = daySeqBase(localDateOf(now, spec.timeZone)) + STATUS_SEQ_OFFSET + (statusCounter++ % 500)
      return JSON.stringify({ device: deviceId, ts: now, seq, state: st, firmware: FIRMWARE })
    },

    /** `durable` gives a client its outgoing store (file-store.ts); default: in memory (device-client.ts). */
    async connect (url: string, timer: SharedTimer, keepalive: number, onReconnect: () => void, durable?: (clientId: string) => IClientOptions): Promise<void> {
      await Promise.all([...links.values()].map(async (link) => {
        if (link.client !== undefined) return
        const will = { topic: topicFor(spec.id, 'status'), payload: state.status(link.deviceId, 'offline') }
        try {
          link.client = await connectDevice(url, { deviceId: link.deviceId, secret: link.secret, keepalive, will, timer, onReconnect, ...(durable === undefined ? {} : { durable: durable(link.deviceId) }) })
        } catch (err) {
          throw new Error(`${link.deviceId}: ${(err as Error).message}`)
        }
      }))
    },

    /**
     * The device loses its connection: once what it sent is acknowledged (a device keeps
     * unacknowledged messages, so waiting is the same as resending them later), the socket
     * drops without DISCONNECT and the broker publishes the will.
     */
    async disconnect (): Promise<void> {
      await Promise.all([...links.values()].map(async (link) => {
        if (link.inFlight > 0) await new Promise<void>((resolve) => link.idle.push(resolve))
        const client = link.client
        link.client = undefined
        if (client !== undefined) await client.end(true).catch(() => {})
      }))
    },

    /** Publish QoS 1 on a device's link; `done` gets the error, if any, after PUBACK. */
    publish (link: Link, topic: string, body: string, retain: boolean, done: (err?: Error) => void): void {
      link.inFlight++
      ;(link.client as DeviceClient).publish(topic, body, retain, (err) => {
        if (--link.inFlight === 0 && link.idle.length > 0) link.idle.splice(0).forEach((f) => f())
        done(err)
      })
    }
  }
  return state
}
