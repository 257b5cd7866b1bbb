import mqtt, { type MqttClient } from 'mqtt'
import { topicFor, type DoorEvent } from '../../contract/index.ts'

/**
 * A station door controller under test load: publishes door events at a steady rate with QoS 1
 * and at-least-once discipline. mqtt.js keeps every unacknowledged publish in its outgoing
 * store and sends it again after a reconnect, which is what a real device does with its flash
 * buffer. Payloads are deterministic: event n has seq n and ts = base + n s, so what was
 * produced can be checked exactly against InfluxDB.
 */
/** The door event number `seq` of a load device: one a second from `baseTs`, in and out in turn. */
export function loadDoorEvent (deviceId: string, baseTs: number, seq: number): DoorEvent {
  return {
    device: deviceId,
    ts: baseTs + seq * 1000,
    seq,
    direction: seq % 2 === 0 ? 'in' : 'out',
    method: 'face',
    result: 'granted',
    worker: `w_${(seq % 97).toString(16).padStart(16, '0')}`
  }
}

export function createLoadDevice (opts: { url: string, stationId: string, deviceId: string, secret: string, ratePerSec: number, baseTs: number, failover?: string[] }) {
  const client: MqttClient = mqtt.connect(opts.url, {
    // Brokers to try in turn after a connection is lost (a cluster's nodes): opts.url first.
    ...(opts.failover ? { servers: [opts.url, ...opts.failover].map((u) => ({ host: new URL(u).hostname, port: Number(new URL(u).port) })) } : {}),
    clientId: opts.deviceId,
    username: opts.deviceId,
    password: opts.secret,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 200,
    connectTimeout: 5000,
    // A refused CONNACK (broker starting up, registry not open yet) must not end the device.
    reconnectOnConnackError: true
  })
  client.on('error', () => {}) // reconnects on its own; errors are expected in fault tests
  let produced = 0
  const acked = new Set<number>()
  let timer: NodeJS.Timeout | undefined
  let waiters: Array<() => void> = []

  const event = (seq: number) => loadDoorEvent(opts.deviceId, opts.baseTs, seq)

  let connects = 0
  client.on('connect', () => { connects++ })

  function publish (seq: number): void {
    client.publish(topicFor(opts.stationId, 'door'), JSON.stringify(event(seq)), { qos: 1 }, (err) => {
      if (err) {
        // A publish already in the outgoing store is resent after a reconnect and calls back
        // only then. One that MQTT.js fails instead was never stored: made while the store was
        // being replayed after a reconnect, it waited in a queue that a lost connection empties
        // with this error ('Connection closed'). A device keeps such an event and sends it again
        // (on the next turn: MQTT.js is still emptying that queue when it calls back).
        setImmediate(() => { if (!client.disconnecting) publish(seq) })
        return
      }
      acked.add(seq)
      if (acked.size === produced) { const w = waiters; waiters = []; w.forEach((f) => f()) }
    })
  }
  function publishNext (): void {
    publish(produced++)
  }

  return {
    deviceId: opts.deviceId,
    start () { timer = setInterval(publishNext, 1000 / opts.ratePerSec) },
    stopProducing () { clearInterval(timer) },
    produced: () => produced,
    acked: () => acked,
    /** Connections made (CONNACKs), the first one included. */
    connects: () => connects,
    /** Resolves when every produced event has been acknowledged. */
    allAcked (): Promise<void> {
      return acked.size === produced ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))
    },
    end: () => client.endAsync(true)
  }
}

export type LoadDevice = ReturnType<typeof createLoadDevice>
