import { afterAll, beforeAll, expect, inject, test } from 'vitest'
import { offlineAlertFixture, until, type OfflineAlertFixture } from '../support/offline-alert-fixture.ts'
import { createStackProcess } from '../support/stack-process.ts'

// A pending period survives SIGKILL: `waystation start` as a child process, a door device that
// goes offline over real MQTT (its will) so station_offline opens a pending alert with a 20 s
// pending period; the stack is SIGKILLed a moment later and restarted. The alert must be the
// same row, with the same pending_since, and fire no earlier than pending_since + 20 s (the
// period was honoured) and earlier than restart + 20 s (it was not started again); one alert,
// one pending and one fired transition, one notification at the receiver.

const PENDING_S = 20
let fx: OfflineAlertFixture

beforeAll(async () => {
  fx = await offlineAlertFixture({ id: 'pk-1', name: '南山区驿站', district: 'nanshan' }, { threshold: 2, pendingS: PENDING_S, holdOffS: 1 })
}, 60_000)

afterAll(async () => { await fx?.close() })

const alertsOf = () => fx.registry.alerts.list({ station: fx.station, rule: 'station_offline', limit: 10 })

test('SIGKILL during the pending period: after restart it fires at the original time, once', async () => {
  const stack = await createStackProcess({
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DB: 'pending_kill',
    REGISTRY_PATH: fx.registryPath,
    ALERTS_TICK_MS: '200',
    PRESENCE_FLUSH_MS: '500',
    NOTIFY_TICK_MS: '200',
    NOTIFY_GROUP_WAIT_S: '0'
  })
  await stack.start()
  try {
    await fx.goOffline(stack.mqttUrl)
    const pending = await until(async () => { const [a] = await alertsOf(); return a?.state === 'pending' && a }, 'a pending alert', 90_000)
    await new Promise((r) => setTimeout(r, 1000))
    await stack.stop('SIGKILL')
    expect((await fx.registry.alerts.get(pending.id))!.state).toBe('pending') // killed inside the period
    const restartedAt = Date.now()
    await stack.start()

    const fired = await until(async () => { const a = await fx.registry.alerts.get(pending.id); return a?.state === 'firing' && a }, 'the alert firing after the restart', 90_000)
    const since = Date.parse(pending.pendingSince)
    expect(fired.pendingSince).toBe(pending.pendingSince) // the same row, the same start
    expect(Date.parse(fired.firedAt!)).toBeGreaterThanOrEqual(since + PENDING_S * 1000) // the whole period was waited
    expect(Date.parse(fired.firedAt!)).toBeLessThan(restartedAt + PENDING_S * 1000) // not counted again from the restart

    await until(() => fx.rx.unique().length === 1, 'the fired notification', 90_000)
    await new Promise((r) => setTimeout(r, 2000)) // nothing more arrives
    expect(await alertsOf()).toHaveLength(1)
    expect((await fx.registry.alerts.history(pending.id)).map((t) => t.kind)).toEqual(['pending', 'fired'])
    expect(fx.rx.unique()).toHaveLength(1)
    expect((fx.rx.unique()[0]!.body.alerts as Array<{ transitionId: number }>).map((a) => a.transitionId)).toEqual([(await fx.registry.alerts.history(pending.id))[1]!.id])
  } finally {
    await stack.stop('SIGTERM')
  }
}, 240_000)
