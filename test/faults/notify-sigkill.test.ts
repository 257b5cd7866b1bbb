import { afterAll, beforeAll, expect, inject, test } from 'vitest'
import type { AlertTransition } from '../../alerts/schemas.ts'
import { connectDevice } from '../support/device.ts'
import { offlineAlertFixture, until, type OfflineAlertFixture } from '../support/offline-alert-fixture.ts'
import { createStackProcess } from '../support/stack-process.ts'

// Exactly-once notifications across SIGKILL: `waystation start` as a child process, a device
// going offline over real MQTT (its will, then silence), and the stack killed while the alert
// is pending, while it is firing, and while a webhook request is half-sent (the receiver has
// the request and never answers). After each restart the receiver, de-duplicating by
// Idempotency-Key as the contract asks, must hold exactly one notification per notifiable
// transition; any duplicate carried the same key (and the same body).

let fx: OfflineAlertFixture

beforeAll(async () => {
  // Offline after 3 s of silence, firing 4 s later, resolved 1 s after it is back.
  fx = await offlineAlertFixture({ id: 'nk-1', name: '福田区驿站', district: 'futian' }, { threshold: 3, pendingS: 4, holdOffS: 1 })
}, 60_000)

afterAll(async () => { await fx?.close() })

const openAlert = async () => (await fx.registry.alerts.list({ state: 'open', station: fx.station, rule: 'station_offline', limit: 10 }))[0]

/** Every notifiable transition is in exactly one notification the receiver accepted; duplicates share a key and a body. */
async function checkExactlyOnce (): Promise<number> {
  const transitions: AlertTransition[] = []
  for (const a of await fx.registry.alerts.list({ station: fx.station, limit: 100 })) transitions.push(...(await fx.registry.alerts.history(a.id)).filter((t) => t.notify))
  const unique = fx.rx.unique()
  for (const t of transitions) {
    const carrying = unique.filter((r) => (r.body.alerts as Array<{ transitionId: number }>).some((a) => a.transitionId === t.id))
    expect(carrying, `transition ${t.id} (${t.kind})`).toHaveLength(1)
  }
  const bodies = new Map<string, string>()
  for (const r of fx.rx.all) {
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
    REGISTRY_PATH: fx.registryPath,
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
    await fx.goOffline(stack.mqttUrl)
    await until(async () => (await openAlert())?.state === 'pending', 'a pending alert')
    await stack.stop('SIGKILL')
    await stack.start()
    const fired = await until(async () => { const a = await openAlert(); return a?.state === 'firing' && a }, 'the alert firing after the restart')
    await until(() => fx.rx.unique().length === 1, 'the fired notification')

    // 2. Killed while it is firing (its notification sent): nothing is sent again; back online, resolved once.
    await stack.stop('SIGKILL')
    await stack.start()
    const back = await connectDevice(stack.mqttUrl, fx.device, fx.secret)
    await back.publishAsync(`stations/${fx.station}/status`, JSON.stringify({ device: fx.device, ts: Date.now(), seq: Date.now(), state: 'online' }), { qos: 1 })
    await until(async () => (await fx.registry.alerts.get(fired.id))?.state === 'resolved', 'the alert resolved')
    await until(() => fx.rx.unique().length === 2, 'the resolved notification')
    await back.endAsync()

    // 3. Killed with a webhook request half-sent: the receiver has it and never answers.
    fx.rx.plan.push('hang')
    const before = fx.rx.all.length
    await fx.goOffline(stack.mqttUrl)
    await until(() => fx.rx.all.length > before, 'the request that hangs')
    await stack.stop('SIGKILL')
    await stack.start()
    await until(() => fx.rx.unique().length === 3, 'the resent notification')
    expect(fx.rx.all.length).toBeGreaterThan(fx.rx.unique().length) // the hung request was sent again
    // Let the stack settle (no further sends), then check the whole history.
    await new Promise((r) => setTimeout(r, 2000))
    expect(await checkExactlyOnce()).toBe(3)
  } finally {
    await stack.stop('SIGTERM')
  }
}, 240_000)
