// A device as its own process, for test/simulator-outgoing-store.test.ts, which SIGKILLs it:
// publishes door events with QoS 1 through the simulator's durable outgoing store
// (simulators/file-store.ts) and reports on stdout, one JSON object per line. Event n has
// seq n and ts = baseTs + n s, so what InfluxDB holds can be checked exactly.
//
// argv[2]: JSON { url, storeDir, stationId, deviceId, secret, baseTs, from, count,
//   publishOn: 'start' (before CONNACK: straight into the store) | 'connect' (on the wire),
//   exitWhenDone: exit once its own messages and every recovered one are acknowledged }
import mqtt from 'mqtt'
import { topicFor } from '../../contract/index.ts'
import { loadDoorEvent } from './load-device.ts'
import { durableOutgoing } from '../../simulators/file-store.ts'

type Config = {
  url: string, storeDir: string, stationId: string, deviceId: string, secret: string
  baseTs: number, from: number, count: number, publishOn: 'start' | 'connect', exitWhenDone: boolean
}
const cfg = JSON.parse(process.argv[2] ?? '{}') as Config
const say = (o: object): void => { process.stdout.write(`${JSON.stringify(o)}\n`) }

let stored = 0
let acked = 0
let recoveredAcked = 0
let dupSent = 0
let connected = false
let done = false

const { store, options } = durableOutgoing(cfg.storeDir, cfg.deviceId, { onRecoveredAck: () => { recoveredAcked++; maybeDone() } })
say({ recovered: store.recovered, skipped: store.skipped })

const client = mqtt.connect(cfg.url, {
  clientId: cfg.deviceId,
  username: cfg.deviceId,
  password: cfg.secret,
  protocolVersion: 4,
  clean: true,
  reconnectPeriod: 200,
  connectTimeout: 5000,
  reconnectOnConnackError: true,
  log: () => {},
  ...options
})
client.on('error', () => {}) // unreachable broker: keeps trying, publishes go to the store
client.on('packetsend', (p) => { if (p.cmd === 'publish' && p.dup) dupSent++ })

const event = (seq: number) => loadDoorEvent(cfg.deviceId, cfg.baseTs, seq)

function publishAll (): void {
  for (let seq = cfg.from; seq < cfg.from + cfg.count; seq++) {
    client.publish(topicFor(cfg.stationId, 'door'), JSON.stringify(event(seq)), {
      qos: 1,
      // Runs once the put is fsync'ed, before the packet goes to the socket.
      cbStorePut: () => { if (++stored === cfg.count) say({ stored }) }
    }, (err) => { if (err === undefined || err === null) { acked++; maybeDone() } })
  }
}

function maybeDone (): void {
  if (done || !cfg.exitWhenDone || !connected || acked < cfg.count || store.size > 0) return
  done = true
  say({ acked, recoveredAcked, dupSent })
  client.end(false, () => process.exit(0))
}

client.on('connect', () => {
  if (!connected && cfg.publishOn === 'connect') publishAll()
  connected = true
  maybeDone()
})
if (cfg.publishOn === 'start') publishAll()
