// Shutdown while InfluxDB is down: the stack must still exit within SHUTDOWN_GRACE_MS (an
// orchestrator would SIGKILL it otherwise), acknowledge nothing it did not store, and the
// device's unacknowledged messages must reach InfluxDB exactly once after the restart.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { startInfluxd, type InfluxServer } from '../../scripts/influxd.ts'
import { probePort } from '../../scripts/system.ts'
import { connectDevice, publishEvent } from '../support/device.ts'
import { startTestStack, type TestStack } from '../support/stack.ts'

const GRACE_MS = 3000
const dir = mkdtempSync(join(tmpdir(), 'waystation-shutdown-down-'))
let influxd: InfluxServer | undefined
let stack: TestStack | undefined

afterAll(async () => {
  await stack?.stop().catch(() => {})
  await influxd?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const door = (seq: number) => ({ device: 'down-1-door', ts: Date.UTC(2026, 10, 2, 8) + seq * 1000, seq, direction: 'in' as const, method: 'qr' as const, result: 'granted' as const })

test('SIGTERM-style shutdown with InfluxDB down ends within the grace period; nothing unacknowledged is lost', { timeout: 90_000 }, async () => {
  const influxPort = await probePort(0)
  influxd = await startInfluxd({ dataDir: join(dir, 'influxdb'), port: influxPort })
  const overrides = {
    INFLUX_URL: influxd.url,
    INFLUX_DB: 'shutdown_down',
    REGISTRY_PATH: join(dir, 'registry.sqlite'),
    MQTT_PORT: String(await probePort(0)),
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
    INGEST_RETRY_MAX_DELAY_MS: '200'
  }
  stack = await startTestStack(overrides)
  const { 'down-1-door': secret } = await stack.addStation({ id: 'down-1', name: 'Down' })
  // The device keeps unacknowledged messages across reconnects (MQTT.js resends them).
  const device = await connectDevice(stack.mqttUrl, 'down-1-door', secret!, { reconnectPeriod: 200, clean: false })
  try {
    for (let seq = 0; seq < 5; seq++) await publishEvent(device, 'down-1', 'door', door(seq))

    await influxd.stop()
    const acked: number[] = []
    const pending = Array.from({ length: 50 }, (_, i) => publishEvent(device, 'down-1', 'door', door(5 + i)).then(() => { acked.push(5 + i) }))
    await new Promise((resolve) => setTimeout(resolve, 1000))

    const started = Date.now()
    await stack.stop({ keepData: true })
    const took = Date.now() - started
    stack = undefined
    // The grace period plus the closing of listeners, clients and the registry.
    expect(took).toBeLessThan(GRACE_MS + 2000)
    expect(acked).toEqual([]) // nothing was acknowledged that was not stored

    influxd = await startInfluxd({ dataDir: join(dir, 'influxdb'), port: influxPort })
    stack = await startTestStack(overrides)
    await Promise.all(pending)
    const rows = await stack.query<{ seq: number }>('SELECT "seq" FROM "door" WHERE "station" = \'down-1\'')
    expect(rows.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 55 }, (_, i) => i))
  } finally {
    device.end(true)
  }
})
