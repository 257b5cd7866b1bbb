import { setTimeout as sleep } from 'node:timers/promises'
import mqtt, { type MqttClient } from 'mqtt'
import { MAX_SEQ, topicFor, type AnyEvent } from '../contract/index.ts'
import { eventsForDay } from './day-events.ts'
import { planDay, type DayPlan } from './day-model.ts'
import { durableOutgoing } from './file-store.ts'
import { addDays, localDateOf } from './local-time.ts'
import { createPublishWindow, type PublishWindow } from './publish-window.ts'
import { createWorkerPool } from './worker-pool.ts'

// A whole station on the wire: one MQTT client per device, publishing the day model's messages
// either as a fast backfill of past days or live as their time comes. Every message is QoS 1,
// and seq is assigned when a message is actually sent, like a device's own counter.

export type SimDevice = { deviceId: string, secret: string, role: 'door' | 'sensors' | 'shelf' }
type LogFn = (obj: object, msg?: string) => void
export type SimLogger = { info: LogFn, warn: LogFn, error: LogFn }

export type StationSimulatorOptions = {
  /** mqtt://host:port of the Aedes broker. */
  url: string
  stationId: string
  timeZone: string
  /** Exactly one 'door' and one 'sensors' device, and at most one 'shelf' (supply levels). */
  devices: SimDevice[]
  seed: number | string
  busyness: number
  capacity: number
  /** Regulars in the pool; default busyness / 4 (3-5 visits per regular per day). */
  workerPoolSize?: number
  /** QoS 1 publishes awaiting PUBACK per client; default 200. */
  maxInFlight?: number
  /** First seq of each device; default 0 (a freshly booted device). */
  seqStart?: number
  /** Keep unacknowledged messages in DIR/<deviceId>.jsonl, resent after a restart (file-store.ts); default in memory. */
  storeDir?: string
  logger?: SimLogger
}

export type StationSimulator = {
  /**
   * Publish every message of the `days` days before `until` (default now); resolves when all are
   * acknowledged or failed. `onProgress` is called once the total is known and on every PUBACK.
   */
  backfill (opts: { days: number, until?: number, onProgress?: (p: BackfillProgress) => void }): Promise<{ sent: number, acked: number }>
  /** Publish messages as their time comes, `speed` times faster than real time (default 1), from the end of the last backfill or now. */
  startLive (opts?: { speed?: number }): void
  stop (): Promise<void>
}

export type BackfillProgress = { total: number, sent: number, acked: number }

const DAY = 86_400_000
const FIRMWARE = 'sim-1.0.0'
const STOP_TIMEOUT_MS = 5_000

type Device = SimDevice & { seq: number, window: PublishWindow, client?: MqttClient }

export function createStationSimulator (opts: StationSimulatorOptions): StationSimulator {
  const { url, stationId, timeZone, seed, busyness, capacity, logger } = opts
  const door = opts.devices.filter((d) => d.role === 'door')
  const sensors = opts.devices.filter((d) => d.role === 'sensors')
  const shelf = opts.devices.filter((d) => d.role === 'shelf')
  if (door.length !== 1 || sensors.length !== 1 || shelf.length > 1) throw new Error('a simulated station needs exactly one door and one sensors device, and at most one shelf')
  const devices = new Map<string, Device>(opts.devices.map((d) => [d.deviceId, { ...d, seq: opts.seqStart ?? 0, window: createPublishWindow(opts.maxInFlight ?? 200) }]))
  const workerPool = createWorkerPool({ seed, stationId, size: opts.workerPoolSize ?? Math.max(10, Math.round(busyness / 4)) })
  const bootMs = Date.now()
  const statusTopic = topicFor(stationId, 'status')

  const takeSeq = (d: Device): number => {
    const seq = d.seq
    d.seq = seq >= MAX_SEQ ? 0 : seq + 1
    return seq
  }
  const status = (d: Device, state: 'online' | 'offline'): string =>
    JSON.stringify({ device: d.deviceId, ts: Date.now(), seq: takeSeq(d), state, firmware: FIRMWARE, uptime: Math.floor((Date.now() - bootMs) / 1000) })
  // Status is retained so a subscriber learns the current state at once; the will replaces it
  // with 'offline' if the device vanishes without a clean disconnect.
  const publishStatus = (d: Device, state: 'online' | 'offline'): Promise<unknown> =>
    d.client?.publishAsync(statusTopic, status(d, state), { qos: 1, retain: true }) ?? Promise.resolve()

  let connecting: Promise<void> | undefined
  const connect = (): Promise<void> => {
    // Devices already connected are kept, so a retry after a partial failure does not open a
    // second session with the same client id.
    connecting ??= Promise.all([...devices.values()].filter((d) => d.client === undefined).map(async (d) => {
      const durable = opts.storeDir === undefined
        ? undefined
        : durableOutgoing(opts.storeDir, d.deviceId, { onError: (err) => logger?.error({ device: d.deviceId, err: err.message }, 'outgoing store failed') })
      if (durable !== undefined && durable.store.recovered > 0) logger?.info({ device: d.deviceId, messages: durable.store.recovered }, 'resending unacknowledged messages of a previous run')
      const client = await mqtt.connectAsync(url, {
        username: d.deviceId,
        password: d.secret,
        clientId: d.deviceId,
        clean: true,
        reconnectPeriod: 1000,
        protocolVersion: 4,
        // Its ts and seq are fixed now; the stream therefore skips one seq per connection.
        will: { topic: statusTopic, payload: Buffer.from(status(d, 'offline')), qos: 1, retain: true },
        ...durable?.options
      })
      d.client = client
      client.on('error', (err) => logger?.warn({ device: d.deviceId, err: err.message }, 'mqtt error'))
      // Announce again after every automatic reconnect, not only the first connection.
      client.on('connect', () => { publishStatus(d, 'online').catch(() => {}) })
      await publishStatus(d, 'online')
      logger?.info({ device: d.deviceId, url }, 'simulated device connected')
    })).then(() => {}, (err: unknown) => {
      connecting = undefined
      throw err
    })
    return connecting
  }

  const plans = new Map<string, DayPlan>()
  const planFor = (date: string): DayPlan => {
    let plan = plans.get(date)
    if (plan === undefined) {
      plan = planDay({ stationId, seed, date, timeZone, busyness, capacity, workerPool })
      plans.set(date, plan)
      // Live mode walks forward and backfill is sequential: a handful of days is plenty.
      if (plans.size > 4) plans.delete(plans.keys().next().value as string)
    }
    return plan
  }
  const eventsFor = (date: string): AnyEvent[] => eventsForDay(planFor(date), {
    door: { deviceId: (door[0] as SimDevice).deviceId, seq: 0 },
    sensors: { deviceId: (sensors[0] as SimDevice).deviceId, seq: 0 },
    ...(shelf[0] === undefined ? {} : { shelf: { deviceId: shelf[0].deviceId, seq: 0 } })
  })

  /** Waits for a free slot, then sends; `onAcked` runs on PUBACK, before the slot is released. */
  const publish = async (event: AnyEvent, onAcked?: () => void): Promise<void> => {
    const d = devices.get(event.payload.device) as Device
    await d.window.acquire()
    const payload = { ...event.payload, seq: takeSeq(d) }
    void (d.client as MqttClient).publishAsync(topicFor(stationId, event.channel), JSON.stringify(payload), { qos: 1 })
      .then(() => onAcked?.(), (err: Error) => {
        logger?.warn({ device: d.deviceId, channel: event.channel, err: err.message }, 'publish failed')
      })
      .finally(() => d.window.release())
  }
  const allIdle = (): Promise<unknown> => Promise.all([...devices.values()].map((d) => d.window.idle()))

  let resumeFrom: number | undefined
  let live: { abort: AbortController, done: Promise<void> } | undefined

  const backfill: StationSimulator['backfill'] = async ({ days, until = Date.now(), onProgress }) => {
    if (!(days > 0)) throw new Error('backfill days must be > 0')
    await connect()
    const from = until - days * DAY
    const inRange = (event: AnyEvent) => event.payload.ts >= from && event.payload.ts < until
    const dates: string[] = []
    for (let date = localDateOf(from, timeZone); date <= localDateOf(until - 1, timeZone); date = addDays(date, 1)) dates.push(date)
    // A counting pass for a progress bar's total: planning is ~2% of a backfill's time (0.4 s
    // of CPU for the demo's 14 days × 5 stations, ~200k messages).
    const total = onProgress === undefined ? 0 : dates.reduce((n, date) => n + eventsFor(date).filter(inRange).length, 0)
    let sent = 0
    let acked = 0
    onProgress?.({ total, sent, acked })
    const onAcked = onProgress === undefined ? () => { acked++ } : () => { acked++; onProgress({ total, sent, acked }) }
    for (const date of dates) {
      for (const event of eventsFor(date)) {
        if (!inRange(event)) continue
        sent++
        await publish(event, onAcked)
      }
      logger?.info({ stationId, date, sent }, 'backfill day queued')
    }
    await allIdle()
    resumeFrom = Math.max(resumeFrom ?? 0, until)
    logger?.info({ stationId, days, sent, acked }, 'backfill done')
    return { sent, acked }
  }

  const runLive = async (speed: number, signal: AbortSignal): Promise<void> => {
    await connect()
    // Simulated time starts where the backfill ended, so nothing is skipped or sent twice.
    const simStart = resumeFrom ?? Date.now()
    const realStart = Date.now()
    const simNow = (): number => simStart + (Date.now() - realStart) * speed
    for (let date = localDateOf(simStart, timeZone); !signal.aborted; date = addDays(date, 1)) {
      for (const event of eventsFor(date)) {
        if (event.payload.ts < simStart) continue
        const wait = (event.payload.ts - simNow()) / speed
        if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => {})
        if (signal.aborted) return
        // Waits only for a free slot, not the PUBACK, so a slow broker delays but never floods.
        await publish(event)
      }
    }
  }

  return {
    backfill,
    startLive ({ speed = 1 } = {}) {
      if (live !== undefined) throw new Error('live mode already running')
      if (!(speed > 0)) throw new Error('speed must be > 0')
      const abort = new AbortController()
      const done = runLive(speed, abort.signal).catch((err: Error) => {
        logger?.error({ stationId, err: err.message }, 'live simulation failed')
        if (live?.abort === abort) live = undefined
      })
      live = { abort, done }
      logger?.info({ stationId, speed }, 'live simulation started')
    },
    async stop () {
      if (live !== undefined) {
        live.abort.abort()
        await Promise.race([live.done, sleep(STOP_TIMEOUT_MS, undefined, { ref: false })])
        live = undefined
      }
      await Promise.race([connecting?.catch(() => {}), sleep(STOP_TIMEOUT_MS, undefined, { ref: false })])
      await Promise.all([...devices.values()].map(async (d) => {
        const client = d.client
        if (client === undefined) return
        // A clean disconnect suppresses the will, so say 'offline' ourselves; bounded in case
        // the broker is gone and nothing will ever be acknowledged.
        const timeout = sleep(STOP_TIMEOUT_MS, 'timeout', { ref: false })
        if (await Promise.race([Promise.all([d.window.idle(), publishStatus(d, 'offline')]), timeout]) === 'timeout') {
          logger?.warn({ device: d.deviceId }, 'stop: broker did not acknowledge, forcing close')
        }
        await Promise.race([client.endAsync(), sleep(STOP_TIMEOUT_MS, undefined, { ref: false }).then(() => client.endAsync(true))])
        d.client = undefined
      }))
      connecting = undefined
      resumeFrom = undefined
    }
  }
}
