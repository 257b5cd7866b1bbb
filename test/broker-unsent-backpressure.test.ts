import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqttPacket from 'mqtt-packet'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { connectDevice, publishEvent, worker } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

// A device that publishes QoS 1 as fast as it can and never reads its PUBACKs. Over TCP the
// kernel takes ~4 MB of PUBACKs (a million messages) before the broker has to hold them, too
// many for a test; a Unix socket (MQTT_SOCKET_PATH) takes ~100 kB, so the same client reaches
// the broker's own buffering after a few ten thousand messages. The broker must then stop
// reading it (its unsent output stays near MQTT_MAX_UNSENT_BYTES), close it after
// MQTT_UNSENT_TIMEOUT_MS, and keep serving everyone else.

// The least bound there is: the socket's own buffer (unsent-guard.ts).
const MAX_UNSENT = 64 * 1024
const TIMEOUT_MS = 3000
const SENT = 200_000 // far more than the socket buffers and the bound hold
const S = 'unsent-1'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let stack: TestStack
let socketPath: string
const secrets: Record<string, string> = {}
beforeAll(async () => {
  socketPath = join(mkdtempSync(join(tmpdir(), 'waystation-unsent-')), 'mqtt.sock')
  stack = await startTestStack({ MQTT_SOCKET_PATH: socketPath, MQTT_MAX_UNSENT_BYTES: String(MAX_UNSENT), MQTT_UNSENT_TIMEOUT_MS: String(TIMEOUT_MS), METRICS_PUBLIC: 'true' })
  Object.assign(secrets, await stack.addStation({ id: S, name: 'Unsent' }, [`${S}-flood`, `${S}-door`]))
})
afterAll(async () => { await stack?.stop() })

/** CONNECT, wait for CONNACK, then never read again. */
async function connectNonReader (deviceId: string): Promise<Socket> {
  const socket = connect(socketPath)
  await once(socket, 'connect')
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: deviceId, keepalive: 60, username: deviceId, password: Buffer.from(secrets[deviceId]!) }))
  const [connack] = await once(socket, 'data') as [Buffer]
  expect([...connack]).toEqual([0x20, 2, 0, 0])
  socket.pause()
  return socket
}

test('a device that does not read its PUBACKs is not read either, then closed; another device is served meanwhile', async () => {
  const flood = `${S}-flood`
  const socket = await connectNonReader(flood)
  let closed = false
  socket.on('error', () => {})
  socket.once('close', () => { closed = true })

  // The broker's side of that connection: its unsent output is what would grow without bound.
  const conn = () => (stack.broker.aedes as unknown as { clients: Record<string, { conn: { writableLength: number } } | undefined> }).clients[flood]?.conn
  let maxUnsent = 0
  const sampler = setInterval(() => { maxUnsent = Math.max(maxUnsent, conn()?.writableLength ?? 0) }, 5)

  // QoS 1 door events (the fast path) and, every 100th, a retained status (Aedes' path).
  const ts = Date.now()
  let written = 0
  const writer = (async () => {
    while (written < SENT && !closed) {
      const seq = written + 1
      const status = seq % 100 === 0
      const packet = mqttPacket.generate({
        cmd: 'publish', qos: 1, dup: false, retain: status, messageId: (seq % 65535) + 1,
        topic: `stations/${S}/${status ? 'status' : 'door'}`,
        payload: JSON.stringify(status
          ? { device: flood, ts: ts + seq, seq, state: 'online' }
          : { device: flood, ts: ts + seq, seq, direction: 'in', method: 'face', result: 'granted', worker: worker(seq) })
      })
      written++
      // events.once would reject on the EPIPE the broker's close causes: wait on plain listeners.
      if (!socket.write(packet)) {
        await new Promise<void>((resolve) => {
          const go = () => { socket.off('drain', go); socket.off('close', go); resolve() }
          socket.on('drain', go).on('close', go)
        })
      }
    }
  })()

  // Meanwhile an ordinary device publishes and gets every PUBACK.
  const door = await connectDevice(stack.mqttUrl, `${S}-door`, secrets[`${S}-door`]!)
  for (let seq = 1; seq <= 200; seq++) {
    await publishEvent(door, S, 'door', { device: `${S}-door`, ts: ts + seq, seq, direction: 'in', method: 'card', result: 'granted', worker: worker(seq) })
  }
  await door.endAsync()

  // The flooding connection is closed once it stayed above the bound for the timeout.
  for (let i = 0; i < 1200 && conn() !== undefined; i++) await sleep(50)
  clearInterval(sampler)
  // At most the bound plus one read's PUBACKs (a read is at most ~128 kB of publishes).
  expect(maxUnsent).toBeGreaterThan(0)
  expect(maxUnsent).toBeLessThan(MAX_UNSENT + 8 * 1024)
  expect(conn() === undefined).toBe(true)
  await writer
  expect(written).toBeLessThan(SENT) // the broker stopped taking its publishes

  const [stored] = await stack.query<{ count: number }>('SELECT count("seq") FROM "door" WHERE "device" = $d', { d: `${S}-door` })
  expect(stored?.count).toBe(200)
  const text = await (await fetch(`${stack.apiUrl}/metrics`)).text()
  expect(text).toMatch(/^waystation_mqtt_reads_paused_total [1-9]\d*$/m)
  expect(text).toMatch(/^waystation_mqtt_slow_readers_closed_total 1$/m)
  socket.destroy()
}, 120_000)
