// The load device of the fault and cluster tests keeps every event until it is acknowledged, as
// a station's controller does. MQTT.js fails (and forgets) a publish made while it replays its
// outgoing store after a reconnect if that connection is lost too: staged here with a bare
// Aedes that holds the first replayed publish and then drops the connection.
import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import { afterAll, expect, test } from 'vitest'
import { createLoadDevice, type LoadDevice } from './support/load-device.ts'

let server: Server | undefined
let broker: Aedes | undefined
let device: LoadDevice | undefined
afterAll(async () => {
  await device?.end()
  await new Promise<void>((resolve) => broker ? broker.close(() => resolve()) : resolve())
  server?.close()
})

test('an event MQTT.js fails during a replay that loses its connection is sent again and acknowledged', { timeout: 60_000 }, async () => {
  let connects = 0
  let held = false
  let dropped = false
  broker = await Aedes.createBroker({
    // The first CONNACK comes late, so events wait in the outgoing store and are replayed.
    authenticate: (_client, _user, _pass, done) => { if (connects++ === 0) setTimeout(() => done(null, true), 500); else done(null, true) },
    // The first replayed publish gets no PUBACK: the replay waits, later events queue behind it.
    authorizePublish: (client, _packet, done) => {
      if (held) return done(null)
      held = true
      setTimeout(() => { dropped = true; client!.conn.destroy() }, 500)
    }
  })
  server = createServer(broker.handle)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  device = createLoadDevice({ url: `mqtt://127.0.0.1:${port}`, stationId: 's-1', deviceId: 's-1-door', secret: 'x', ratePerSec: 50, baseTs: Date.now() })
  device.start()
  for (const end = Date.now() + 20_000; !dropped && Date.now() < end;) await new Promise((resolve) => setTimeout(resolve, 50))
  expect(dropped).toBe(true)
  await new Promise((resolve) => setTimeout(resolve, 300))
  device.stopProducing()
  const d = device
  const unacked = () => [...Array(d.produced()).keys()].filter((s) => !d.acked().has(s))
  for (const end = Date.now() + 20_000; unacked().length > 0 && Date.now() < end;) await new Promise((resolve) => setTimeout(resolve, 100))
  expect(d.produced()).toBeGreaterThan(40)
  expect(unacked()).toEqual([])
})
