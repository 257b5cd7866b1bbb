import type { AnyEvent } from '../contract/index.ts'
import type { ApplianceUse } from './amenities-model.ts'
import type { DayPlan } from './day-model.ts'
import { createEnvironmentModel, type AcState, type EnvironmentValues } from './environment-model.ts'
import { localDay } from './local-time.ts'
import { nudge, timelineBuilder, type RoleStream } from './timeline.ts'

// The sensor hub's messages of one day, produced one at a time (see day-events.ts): occupancy
// on every change the people counter sees (COUNTER_LAG_MS after the door), a heartbeat
// occupancy every 5 minutes, an environment reading every minute (with the AC's state once at
// the start and on every switch), and the equipment switches of the amenities plan.
// Four sources merged by (ts, rank); on a tie the earlier source wins, in the order changes,
// heartbeats, environment, equipment.

const MIN = 60_000
export const COUNTER_LAG_MS = 1_500
export const HEARTBEAT_MS = 5 * MIN
export const ENVIRONMENT_MS = MIN
// Environment readings sit mid-minute, away from the heartbeats on the same device.
const ENVIRONMENT_OFFSET_MS = 30_000
const AC_POWER_W = { cool: 1100, heat: 1400 }
// On a tie an exit is counted before an entry (so the count never overshoots), then the
// heartbeat, the reading, equipment. A change's code is its rank: 0 out, 1 in.
const OUT = 0
const IN = 1
const RANK_BEAT = 2
const RANK_ENV = 3
const RANK_EQUIPMENT = 4
const SRC = { changes: 0, beats: 1, environment: 2, equipment: 3 } as const
const APPLIANCES: ReadonlyArray<ApplianceUse['appliance']> = ['microwave', 'charger', 'light']

export function sensorStream (plan: DayPlan): RoleStream {
  const { startMs, endMs } = plan
  const changesB = timelineBuilder()
  for (const v of plan.visits) {
    changesB.push(v.enterMs + COUNTER_LAG_MS, IN, IN)
    changesB.push(v.exitMs + COUNTER_LAG_MS, OUT, OUT)
  }
  const changes = changesB.build()
  const uses = plan.amenities.uses
  const equipmentB = timelineBuilder()
  for (let i = 0; i < uses.length; i++) {
    const u = uses[i]!
    // code: the use's index and whether it switches on.
    if (u.onMs >= startMs && u.onMs < endMs) equipmentB.push(u.onMs, RANK_EQUIPMENT, 2 * i + 1)
    if (u.offMs >= startMs && u.offMs < endMs) equipmentB.push(u.offMs, RANK_EQUIPMENT, 2 * i)
  }
  const equipment = equipmentB.build()
  // What the messages need of each use, out of the plan's objects (not kept all day). No
  // closure here refers to the builders or the plan, so they are not kept either.
  const appliance = Uint8Array.from(uses, (u) => APPLIANCES.indexOf(u.appliance))
  const unit = Float64Array.from(uses, (u) => u.unit)
  const powerW = Float64Array.from(uses, (u) => u.powerW)

  // The people counter: changes since the previous occupancy message.
  let count = 0
  let entered = 0
  let exited = 0
  const occupancy = (device: string, ts: number, seq: number): AnyEvent => {
    const payload = { device, ts, seq, count, entered, exited }
    entered = 0
    exited = 0
    return { channel: 'occupancy', payload }
  }
  const change = (code: number): void => {
    if (code === IN) { count++; entered++ } else { count--; exited++ }
  }

  // The room, a reading a minute. Who is inside comes from the plan (its own cursors), so the
  // readings do not depend on which messages were built.
  const day = localDay(plan.date, plan.timeZone)
  const env = createEnvironmentModel({ seed: plan.seed, stationId: plan.stationId, date: plan.date, weather: plan.weather })
  const enters = Float64Array.from(plan.visits, (v) => v.enterMs + COUNTER_LAG_MS).sort()
  const exits = Float64Array.from(plan.visits, (v) => v.exitMs + COUNTER_LAG_MS).sort()
  let i = 0
  let j = 0
  let envTs = startMs + ENVIRONMENT_OFFSET_MS - ENVIRONMENT_MS
  let values: EnvironmentValues | undefined
  /** The AC state still to report at envTs (once at the start of the day and after a switch). */
  let acPending: AcState | undefined
  let reported: AcState | undefined
  const nextMinute = (): void => {
    envTs += ENVIRONMENT_MS
    acPending = undefined
    if (envTs >= endMs) { values = undefined; return }
    while (i < enters.length && enters[i]! <= envTs) i++
    while (j < exits.length && exits[j]! <= envTs) j++
    values = env.next(day.minuteOfDay(envTs), i - j)
  }
  nextMinute()

  let ci = 0
  let beatTs = startMs
  let qi = 0
  let last = -Infinity
  let src = -1
  const self: RoleStream = { headTs: Infinity, emit, skip }

  /** The source with the smallest (ts, rank); ties go to the earlier source. */
  function pick (): void {
    src = -1
    let ts = Infinity
    let rank = 0
    if (ci < changes.length) { src = SRC.changes; ts = changes.ts[ci]!; rank = changes.code[ci]! }
    if (beatTs < endMs && (beatTs < ts || (beatTs === ts && RANK_BEAT < rank))) { src = SRC.beats; ts = beatTs; rank = RANK_BEAT }
    if (values !== undefined) {
      const r = acPending === undefined ? RANK_ENV : RANK_EQUIPMENT
      if (envTs < ts || (envTs === ts && r < rank)) { src = SRC.environment; ts = envTs; rank = r }
    }
    if (qi < equipment.length) {
      const t = equipment.ts[qi]!
      if (t < ts || (t === ts && RANK_EQUIPMENT < rank)) { src = SRC.equipment; ts = t }
    }
    self.headTs = src < 0 ? Infinity : nudge(ts, last)
  }

  function advance (): void {
    last = self.headTs
    if (src === SRC.changes) ci++
    else if (src === SRC.beats) beatTs += HEARTBEAT_MS
    else if (src === SRC.equipment) qi++
    else if (acPending === undefined && env.ac !== reported) acPending = reported = env.ac
    else nextMinute()
    pick()
  }

  function emit (device: string, seq: number): AnyEvent {
    const ts = self.headTs
    let event: AnyEvent
    if (src === SRC.changes) {
      change(changes.code[ci]!)
      event = occupancy(device, ts, seq)
    } else if (src === SRC.beats) {
      event = occupancy(device, ts, seq)
    } else if (src === SRC.environment) {
      const ac = acPending
      const v = values!
      // Spelled out rather than spread (faster); the key order is the JSON's.
      event = ac === undefined
        ? { channel: 'environment', payload: { device, ts, seq, temperature: v.temperature, humidity: v.humidity, co2: v.co2, pm25: v.pm25 } }
        : { channel: 'equipment', payload: { device, ts, seq, appliance: 'ac', unit: 1, state: ac.on ? 'on' : 'off', powerW: ac.on ? AC_POWER_W[ac.mode] : 0, setpoint: ac.setpoint } }
    } else {
      const code = equipment.code[qi]!
      const u = code >> 1
      const on = (code & 1) === 1
      event = { channel: 'equipment', payload: { device, ts, seq, appliance: APPLIANCES[appliance[u]!]!, unit: unit[u]!, state: on ? 'on' : 'off', powerW: on ? powerW[u]! : 0 } }
    }
    advance()
    return event
  }

  function skip (): void {
    if (src === SRC.changes) change(changes.code[ci]!)
    // A skipped heartbeat or change still ends the counter's interval, as a sent one would.
    if (src === SRC.changes || src === SRC.beats) { entered = 0; exited = 0 }
    advance()
  }

  pick()
  return self
}
