import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dayEvents } from '../simulators/day-events.ts'
import { planDay } from '../simulators/day-model.ts'
import { parseFault } from '../simulators/faults.ts'
import type { DeviceCredential } from '../simulators/fleet-station.ts'
import { fleetSpec } from '../simulators/fleet-spec.ts'
import { createFleet } from '../simulators/fleet.ts'
import { addDays } from '../simulators/local-time.ts'
import { createWorkerPool } from '../simulators/worker-pool.ts'

// The simulator's output pinned byte for byte: every message of a few stations over two days,
// as the day model produces them and as each fleet device publishes them (topic, retain flag,
// payload with seq and faults applied, in the device's order), plus the ground truth.
// Speed-ups of the simulator must not change a single event: the API's figures are compared
// exactly with the ground truth, and re-running a seed must overwrite the very same points.
//
// The hashes were computed with the simulator of commit d1ed4e1 (before the load-generator
// speed-ups: MQTT.js clients, a generator and closures per message), by running these same
// scenarios against it with an in-process MQTT.js stand-in and printing the values. The ground
// truth gained `dwell` later; without that field it still hashes to the value d1ed4e1 gave
// (c565e72f…).

/** A broker that only records: CONNACK, a PUBACK per QoS 1 PUBLISH, PINGRESP. */
type Published = { clientId: string, topic: string, body: string, retain: boolean }
async function startRecorder () {
  const wire: Published[] = []
  const server = createServer((socket) => {
    let clientId = ''
    let rest = Buffer.alloc(0)
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      let buf = Buffer.concat([rest, chunk])
      const replies: Buffer[] = []
      for (;;) {
        // Fixed header, then the remaining length: 7 bits a byte, the top bit says more follow.
        let length = 0
        let shift = 0
        let p = 1
        let complete = false
        while (p < buf.length && !complete) {
          const byte = buf[p++]!
          length |= (byte & 127) << shift
          shift += 7
          complete = (byte & 128) === 0
        }
        if (!complete || p + length > buf.length) break
        const type = buf[0]! >> 4
        const body = buf.subarray(p, p + length)
        if (type === 1) {
          // CONNECT: protocol name, level, flags, keepalive, then the client id.
          const at = 2 + body.readUInt16BE(0) + 4
          clientId = body.toString('utf8', at + 2, at + 2 + body.readUInt16BE(at))
          replies.push(Buffer.from([0x20, 2, 0, 0]))
        } else if (type === 3) {
          const qos = (buf[0]! >> 1) & 3
          const topicEnd = 2 + body.readUInt16BE(0)
          wire.push({ clientId, topic: body.toString('utf8', 2, topicEnd), retain: (buf[0]! & 1) === 1, body: body.toString('utf8', topicEnd + (qos > 0 ? 2 : 0)) })
          if (qos === 1) replies.push(Buffer.from([0x40, 2, body[topicEnd]!, body[topicEnd + 1]!]))
        } else if (type === 12) {
          replies.push(Buffer.from([0xd0, 0]))
        } else if (type === 14) {
          socket.end()
        }
        buf = buf.subarray(p + length)
      }
      rest = Buffer.from(buf)
      if (replies.length > 0 && !socket.destroyed) socket.write(Buffer.concat(replies))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `mqtt://127.0.0.1:${port}`, wire, close: () => new Promise((resolve) => server.close(resolve)) }
}

const sha256 = (lines: Iterable<string>): string => {
  const h = createHash('sha256')
  for (const l of lines) h.update(l).update('\n')
  return h.digest('hex')
}
/** Each device's messages in its order, devices by id. Status messages carry the wall clock (Date.now()): left out. */
function perDevice (wire: Published[]): { count: number, sha256: string } {
  const by = new Map<string, string[]>()
  let count = 0
  for (const m of wire) {
    if (m.topic.endsWith('/status')) continue
    count++
    let l = by.get(m.clientId)
    if (l === undefined) by.set(m.clientId, l = [])
    l.push(`${m.topic} ${m.retain ? 'r' : '-'} ${m.body}`)
  }
  return { count, sha256: sha256([...by.keys()].sort().flatMap((k) => [k, ...by.get(k)!])) }
}
const FROM = Date.parse('2026-03-02T00:00:00+08:00') // Monday, local midnight
const UNTIL = Date.parse('2026-03-04T00:00:00+08:00')

async function runFleet (opts: { stations: number, layout: 'hub' | 'split', faults: string[], storeDir?: string }) {
  const broker = await startRecorder()
  try {
    const stations = fleetSpec({ stations: opts.stations, seed: 42 })
    const credentials = new Map<string, DeviceCredential[]>(stations.map((s) => [s.id, opts.layout === 'hub'
      ? [{ deviceId: `${s.id}-hub`, secret: 'x', role: 'hub' }]
      : (['door', 'sensors', 'shelf'] as const).map((role) => ({ deviceId: `${s.id}-${role}`, secret: 'x', role }))]))
    const fleet = createFleet({ url: broker.url, stations, credentials, seed: 42, faults: opts.faults.map(parseFault), maxInFlight: 300, ...(opts.storeDir === undefined ? {} : { storeDir: opts.storeDir }) })
    await fleet.connect()
    const report = await fleet.run({ from: FROM, until: UNTIL })
    const truth = fleet.groundTruth()
    await fleet.close()
    return { published: perDevice(broker.wire), report, truth }
  } finally {
    await broker.close()
  }
}

describe('the simulator stream is pinned', () => {
  it('day model: every message of 5 stations × 2 days (door, sensors, shelf devices)', () => {
    const out: string[] = []
    for (const s of fleetSpec({ stations: 5, seed: 42 })) {
      const workerPool = createWorkerPool({ seed: 42, stationId: s.id, size: Math.max(10, Math.round(s.busyness / 4)) })
      const devices = { door: { deviceId: `${s.id}-door`, seq: 7 }, sensors: { deviceId: `${s.id}-sensors`, seq: 0 }, shelf: { deviceId: `${s.id}-shelf`, seq: 4_294_967_290 } }
      for (const date of ['2026-03-02', addDays('2026-03-02', 1)]) {
        const plan = planDay({ stationId: s.id, seed: 42, date, timeZone: s.timeZone, busyness: s.busyness, capacity: s.capacity, workerPool, region: s.city })
        for (const e of dayEvents(plan, devices)) out.push(`${e.channel} ${JSON.stringify(e.payload)}`)
      }
    }
    expect(out.length).toBe(DAY_MODEL.count)
    expect(sha256(out)).toBe(DAY_MODEL.sha256)
  })

  it('fleet, hub devices, with every fault: the messages of each device, topics, payloads and ground truth', async () => {
    const { published, report, truth } = await runFleet({
      stations: 5,
      layout: 'hub',
      faults: [
        'offline:sz-0001:3h@2026-03-02T11:00',
        'offline:sh-0005:4h@2026-03-03T22:00', // still offline at the end: uploads then
        'door-stuck:sz-0002:90m@2026-03-02T12:00',
        'clock-skew:gz-0003:+3m',
        'drift:gz-0004:6h@2026-03-03T08:00',
        'duplicates:*:5%'
      ]
    })
    expect(report.totals.failed).toBe(0)
    expect(published).toEqual({ count: FLEET_HUB.count, sha256: FLEET_HUB.sha256 })
    expect(sha256([JSON.stringify(truth)])).toBe(FLEET_HUB.truth)
  })

  it('fleet, door + sensors + shelf devices: the messages of each device, topics and payloads', async () => {
    const { published } = await runFleet({ stations: 3, layout: 'split', faults: [] })
    expect(published).toEqual(FLEET_SPLIT)
  })

  it('fleet on MQTT.js with the durable outgoing store: the same messages', async () => {
    const storeDir = mkdtempSync(join(tmpdir(), 'waystation-stream-'))
    try {
      const { published } = await runFleet({ stations: 3, layout: 'split', faults: [], storeDir })
      expect(published).toEqual(FLEET_SPLIT)
    } finally {
      rmSync(storeDir, { recursive: true, force: true })
    }
  })
})

// Re-pinned when the shelf started carrying its level across midnight (amenities-model.ts, no
// refill at midnight, the morning round refills only what is low): only the shelf's messages
// and the ground truth's supply figures changed; every other message hashes as before.
const DAY_MODEL = { count: 27451, sha256: '3df0a15a5b6e504548b9a07bc4fbe13237b4d1a5a60d9c61077bd6477c56e2d9' }
const FLEET_HUB = { count: 27854, sha256: '2c1f44be92826d5616779510d865b1599359a605011c9635195bf9d6860d7721', truth: '1d8f96d85532a9188d8cb0411ffcdd4d2a1dd17323e27c53ee5538c2514d18b0' }
const FLEET_SPLIT = { count: 17796, sha256: 'c9ac44b7824b4eb93f3efc4ec90c2d8bcf29e1fe4db2bb6e2959ad370bd4f918' }
