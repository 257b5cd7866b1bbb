import mqtt, { type IClientOptions } from 'mqtt'
import type { SharedTimer } from './shared-timer.ts'

// How a fleet device talks MQTT 3.1.1, through MQTT.js (the project's MQTT client): client id =
// username = device id, clean session, QoS 1, a retained 'offline' will, reconnect after a
// second and resend what is unacknowledged (in memory, or in the durable outgoing store of
// file-store.ts with `storeDir`).

export type DeviceClient = {
  /** QoS 1; `done` runs at PUBACK. Sent at once when connected, else on (re)connect. */
  publish (topic: string, body: string, retain: boolean, done: (err?: Error) => void): void
  /** force: drop the connection (the broker publishes the will); else wait for PUBACKs, then DISCONNECT. */
  end (force?: boolean): Promise<void>
}

export type DeviceConnectOptions = {
  deviceId: string
  secret: string
  /** Seconds. */
  keepalive: number
  will: { topic: string, payload: string }
  timer: SharedTimer
  onReconnect: () => void
  /** MQTT.js options of the durable outgoing store (file-store.ts `durableOutgoing`). */
  durable?: IClientOptions
}

const RECONNECT_MS = 1000
const CONNECT_TIMEOUT_MS = 60_000
// MQTT.js copies the options of each publish: two shared objects instead of one per message.
const QOS1 = Object.freeze({ qos: 1, retain: false } as const)
const QOS1_RETAIN = Object.freeze({ qos: 1, retain: true } as const)

export async function connectDevice (url: string, o: DeviceConnectOptions): Promise<DeviceClient> {
  const client = mqtt.connect(url, {
    clientId: o.deviceId,
    username: o.deviceId,
    password: o.secret,
    protocolVersion: 4,
    clean: true,
    keepalive: o.keepalive,
    reconnectPeriod: RECONNECT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    timerVariant: o.timer,
    // By default MQTT.js re-arms the keepalive timer on every PUBACK; a busy device then pays
    // a timer per message for nothing. Without it, a PINGREQ every keepalive.
    reschedulePings: false,
    // MQTT.js's `debug` logger costs a few % of the fleet's CPU even when disabled.
    log: () => {},
    will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: true },
    ...o.durable
  })
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => { client.end(true); reject(err) }
    client.once('error', onError)
    client.once('connect', () => { client.off('error', onError); resolve() })
  })
  // MQTT.js reconnects by itself and resends what is unacknowledged. With a durable store
  // 'connect' comes only after the stored messages were resent, one PUBACK at a time.
  client.on('error', () => {})
  client.on('reconnect', o.onReconnect)
  return {
    publish (topic, body, retain, done) {
      client.publish(topic, body, retain ? QOS1_RETAIN : QOS1, (err) => done(err))
    },
    end: (force = false) => client.endAsync(force)
  }
}
