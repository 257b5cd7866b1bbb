// ALERTS_EVALUATION (platform/config.ts): with `off` the process that runs ingest evaluates no
// rule (bench/alerts-cost.ts compares the two); with `on` (the default) the same event opens an
// alert. Real stack, real MQTT device; the door reports held_open with no pending period.
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import { connectDevice, publishEvent } from './support/device.ts'
import { startTestStack } from './support/stack.ts'

async function heldOpen (evaluation: 'on' | 'off') {
  const stack = await startTestStack({ ALERTS_EVALUATION: evaluation, ALERTS_TICK_MS: '100' })
  try {
    const secrets = await stack.addStation({ id: `sw-${evaluation}`, name: 'Switch', district: 'futian' }, [`sw-${evaluation}-door`])
    await stack.registry.alertSettings.setOverride('station', `sw-${evaluation}`, 'door_held_open', { pendingS: 0 }, 'test', new Date().toISOString())
    const door = await connectDevice(stack.mqttUrl, `sw-${evaluation}-door`, secrets[`sw-${evaluation}-door`]!)
    // PUBACK: stored, and handed to the evaluator's stored hook if there is one.
    await publishEvent(door, `sw-${evaluation}`, 'door_state', { device: `sw-${evaluation}-door`, ts: Date.now(), seq: 1, state: 'held_open' })
    const found = async () => stack.registry.alerts.list({ rule: 'door_held_open', limit: 10 })
    let alerts = await found()
    // On: poll until it fires. Off: 30 ticks (3 s) after the PUBACK, then look.
    for (let i = 0; i < (evaluation === 'on' ? 300 : 30) && alerts.length === 0; i++) { await sleep(100); alerts = await found() }
    await door.endAsync()
    return alerts
  } finally {
    await stack.stop()
  }
}

describe('ALERTS_EVALUATION', () => {
  test('on (the default): a held-open door opens an alert', async () => {
    expect((await heldOpen('on')).map((a) => [a.rule, a.state])).toEqual([['door_held_open', 'firing']])
  }, 90_000)

  test('off: the same event is acknowledged (stored first) and opens no alert', async () => {
    expect(await heldOpen('off')).toEqual([])
  }, 90_000)
})
