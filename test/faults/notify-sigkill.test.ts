import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, expect, inject, test } from 'vitest'
import { openRegistry, type Registry } from '../../registry/open-registry.ts'
import { connectDevice } from '../support/device.ts'
import { createStackProcess } from '../support/stack-process.ts'
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts'

// Exactly-once notifications across SIGKILL: `waystation start` as a child process, a device
// going offline over real MQTT (its will, then silence), and the stack killed while the alert
// is pending, while it is firing, and while a webhook request is half-sent (the receiver has
// the request and never answers). After each restart the receiver, de-duplicating by
// Idempotency-Key as the contract asks, must hold exactly one notification per notifiable
// transition; any duplicate carried the same key (and the same body).

const S = 'nk-1'
const DEVICE = `${S}-door`
let dir: string
let rx: Receiver
let secret: string
let registry: Registry

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-notify-kill-'))
  rx = await startReceiver()
  registry = openRegistry(join(dir, 'registry.sqlite'))
  registry.addStation({ id: S, name: '福田区驿站', district: 'futian' })
  secret = (await registry.addDevice(S, DEVICE, 'door')).secret
  // Offline after 3 s of silence, firing 4 s later, resolved 1 s after it is back.
  registry.alertSettings.setOverride('station', S, 'station_offline', { threshold: 3, pendingS: 4, holdOffS: 1, escalation: [] }, 'test', new Date().toISOString())
  registry.notify.webhooks.add({ name: 'rx', url: rx.url, scope: 'all', scopeId: '', allAlerts: true, targets: [], enabled: true }, 'k', new Date().toISOString())
}, 60_000)

afterAll(async () => {
  registry?.close()
  await rx?.close()
  await rm(dir, { recursive: true, force: true })
})

async function until<T> (fn: () => T | undefined | false, what: string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const openAlert = () => registry.alerts.list({ state: 'open', station: S, rule: 'station_offline', limit: 10 })[0]

/** Connects with a will, then drops the socket without DISCONNECT: the broker publishes the will. */
async function goOffline (url: string): Promise<void> {
  const c: MqttClient = await connectDevice(url, DEVICE, secret, {
    will: { topic: `stations/${S}/status`, payload: Buffer.from(JSON.stringify({ device: DEVICE, ts: Date.now(), seq: Date.now(), state: 'offline' })), qos: 1, retain: false }
  })
  c.stream.destroy()
}

/** Every notifiable transition is in exactly one notification the receiver accepted; duplicates share a key and a body. */
function checkExactlyOnce (): number {
  const transitions = registry.alerts.list({ station: S, limit: 100 }).flatMap((a) => registry.alerts.history(a.id)).filter((t) => t.notify)
  const unique = rx.unique()
  for (const t of transitions) {
    const carrying = unique.filter((r) => (r.body.alerts as Array<{ transitionId: number }>).some((a) => a.transitionId === t.id))
    expect(carrying, `transition ${t.id} (${t.kind})`).toHaveLength(1)
  }
  const bodies = new Map<string, string>()
  for (const r of rx.all) {
    expect(bodies.get(r.key) ?? r.raw).toBe(r.raw)
    bodies.set(r.key, r.raw)
  }
  expect(unique.length).toBe(transitions.length)
  return transitions.length
}

test('SIGKILL while pending, while firing and mid-request: one notification per transition at the receiver', async () => {
  const stack = await createStackProcess({
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DB: 'notify_kill',
    REGISTRY_PATH: join(dir, 'registry.sqlite'),
    ALERTS_TICK_MS: '200',
    PRESENCE_FLUSH_MS: '500',
    NOTIFY_TICK_MS: '200',
    NOTIFY_GROUP_WAIT_S: '0',
    NOTIFY_RETRY_BASE_MS: '200',
    NOTIFY_RETRY_MAX_MS: '1000',
    NOTIFY_TIMEOUT_MS: '120000'
  })
  await stack.start()
  try {
    // 1. Killed while the alert is pending: after the restart it fires once and is notified once.
    await goOffline(stack.mqttUrl)
    await until(() => openAlert()?.state === 'pending', 'a pending alert')
    await stack.stop('SIGKILL')
    await stack.start()
    const fired = await until(() => openAlert()?.state === 'firing' && openAlert(), 'the alert firing after the restart')
    await until(() => rx.unique().length === 1, 'the fired notification')

    // 2. Killed while it is firing (its notification sent): nothing is sent again; back online, resolved once.
    await stack.stop('SIGKILL')
    await stack.start()
    const back = await connectDevice(stack.mqttUrl, DEVICE, secret)
    await back.publishAsync(`stations/${S}/status`, JSON.stringify({ device: DEVICE, ts: Date.now(), seq: Date.now(), state: 'online' }), { qos: 1 })
    await until(() => registry.alerts.get(fired.id)?.state === 'resolved', 'the alert resolved')
    await until(() => rx.unique().length === 2, 'the resolved notification')
    await back.endAsync()

    // 3. Killed with a webhook request half-sent: the receiver has it and never answers.
    rx.plan.push('hang')
    const before = rx.all.length
    await goOffline(stack.mqttUrl)
    await until(() => rx.all.length > before, 'the request that hangs')
    await stack.stop('SIGKILL')
    await stack.start()
    await until(() => rx.unique().length === 3, 'the resent notification')
    expect(rx.all.length).toBeGreaterThan(rx.unique().length) // the hung request was sent again
    // Let the stack settle (no further sends), then check the whole history.
    await new Promise((r) => setTimeout(r, 2000))
    expect(checkExactlyOnce()).toBe(3)
  } finally {
    await stack.stop('SIGTERM')
  }
}, 240_000)
