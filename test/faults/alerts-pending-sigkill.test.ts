import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, expect, inject, test } from 'vitest'
import { openRegistry, type Registry } from '../../registry/open-registry.ts'
import { connectDevice } from '../support/device.ts'
import { createStackProcess } from '../support/stack-process.ts'
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts'

// A pending period survives SIGKILL: `waystation start` as a child process, a door device that
// goes offline over real MQTT (its will) so station_offline opens a pending alert with a 20 s
// pending period; the stack is SIGKILLed a moment later and restarted. The alert must be the
// same row, with the same pending_since, and fire no earlier than pending_since + 20 s (the
// period was honoured) and earlier than restart + 20 s (it was not started again); one alert,
// one pending and one fired transition, one notification at the receiver.

const S = 'pk-1'
const DEVICE = `${S}-door`
const PENDING_S = 20
let dir: string
let rx: Receiver
let secret: string
let registry: Registry

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-pending-kill-'))
  rx = await startReceiver()
  registry = openRegistry(join(dir, 'registry.sqlite'))
  registry.addStation({ id: S, name: '南山区驿站', district: 'nanshan' })
  secret = (await registry.addDevice(S, DEVICE, 'door')).secret
  registry.alertSettings.setOverride('station', S, 'station_offline', { threshold: 2, pendingS: PENDING_S, holdOffS: 1, escalation: [] }, 'test', new Date().toISOString())
  registry.notify.webhooks.add({ name: 'rx', url: rx.url, scope: 'all', scopeId: '', allAlerts: true, targets: [], enabled: true }, 'k', new Date().toISOString())
}, 60_000)

afterAll(async () => {
  registry?.close()
  await rx?.close()
  await rm(dir, { recursive: true, force: true })
})

async function until<T> (fn: () => T | undefined | false, what: string, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const alertsOf = () => registry.alerts.list({ station: S, rule: 'station_offline', limit: 10 })

test('SIGKILL during the pending period: after restart it fires at the original time, once', async () => {
  const stack = await createStackProcess({
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DB: 'pending_kill',
    REGISTRY_PATH: join(dir, 'registry.sqlite'),
    ALERTS_TICK_MS: '200',
    PRESENCE_FLUSH_MS: '500',
    NOTIFY_TICK_MS: '200',
    NOTIFY_GROUP_WAIT_S: '0'
  })
  await stack.start()
  try {
    const c: MqttClient = await connectDevice(stack.mqttUrl, DEVICE, secret, {
      will: { topic: `stations/${S}/status`, payload: Buffer.from(JSON.stringify({ device: DEVICE, ts: Date.now(), seq: Date.now(), state: 'offline' })), qos: 1, retain: false }
    })
    c.stream.destroy() // no DISCONNECT: the broker publishes the will
    const pending = await until(() => alertsOf()[0]?.state === 'pending' && alertsOf()[0], 'a pending alert')
    await new Promise((r) => setTimeout(r, 1000))
    await stack.stop('SIGKILL')
    expect(registry.alerts.get(pending.id)!.state).toBe('pending') // killed inside the period
    const restartedAt = Date.now()
    await stack.start()

    const fired = await until(() => registry.alerts.get(pending.id)?.state === 'firing' && registry.alerts.get(pending.id)!, 'the alert firing after the restart')
    const since = Date.parse(pending.pendingSince)
    expect(fired.pendingSince).toBe(pending.pendingSince) // the same row, the same start
    expect(Date.parse(fired.firedAt!)).toBeGreaterThanOrEqual(since + PENDING_S * 1000) // the whole period was waited
    expect(Date.parse(fired.firedAt!)).toBeLessThan(restartedAt + PENDING_S * 1000) // not counted again from the restart

    await until(() => rx.unique().length === 1, 'the fired notification')
    await new Promise((r) => setTimeout(r, 2000)) // nothing more arrives
    expect(alertsOf()).toHaveLength(1)
    expect(registry.alerts.history(pending.id).map((t) => t.kind)).toEqual(['pending', 'fired'])
    expect(rx.unique()).toHaveLength(1)
    expect((rx.unique()[0]!.body.alerts as Array<{ transitionId: number }>).map((a) => a.transitionId)).toEqual([registry.alerts.history(pending.id)[1]!.id])
  } finally {
    await stack.stop('SIGTERM')
  }
}, 240_000)
