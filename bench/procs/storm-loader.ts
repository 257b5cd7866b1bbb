// Reconnect-storm load: every device of a credentials file opens its MQTT connection at the
// same moment (one real MQTT.js client each, no pacing), as a fleet does after a broker restart
// or a network cut. Prints one line: how many got a CONNACK, how many failed, and the time
// from the first connect() to the 50th and 99th percentile and the last CONNACK. Gives up on
// those still waiting after --deadline seconds (counted as failed). Then disconnects all.
// argv: --url mqtt://host:port --credentials FILE [--deadline 180]
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { readCredentials } from '../../simulators/provision.ts'

const { values: a } = parseArgs({ options: { url: { type: 'string' }, credentials: { type: 'string' }, deadline: { type: 'string', default: '180' } } })
const devices = [...readCredentials(a.credentials as string).values()].flat()
const clients: mqtt.MqttClient[] = []
let acked = 0
let failed = 0
const ackedAt: number[] = []
const t0 = performance.now()
await new Promise<void>((resolve) => {
  setTimeout(resolve, Number(a.deadline) * 1000).unref()
  const settle = () => { if (acked + failed === devices.length) resolve() }
  for (const d of devices) {
    const c = mqtt.connect(a.url as string, { clientId: d.deviceId, username: d.deviceId, password: d.secret, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 300_000, keepalive: 300 })
    clients.push(c)
    let done = false
    c.once('connect', () => { if (!done) { done = true; acked++; ackedAt.push(performance.now() - t0); settle() } })
    const fail = () => { if (!done) { done = true; failed++; settle() } }
    c.once('error', fail)
    c.once('close', fail)
  }
})
const at = (q: number) => Math.round(ackedAt[Math.max(0, Math.ceil(q * devices.length) - 1)] ?? NaN)
console.log(`storm ${JSON.stringify({ devices: devices.length, acked, failed: devices.length - acked, ms: Math.round(ackedAt.at(-1) ?? NaN), p50ms: at(0.5), p99ms: at(0.99) })}`)
await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})))
process.exit(0)
