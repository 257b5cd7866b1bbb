import { afterAll, beforeAll, expect, test } from 'vitest'
import { startTestStack, type TestStack } from './support/stack.ts'

// GET /metrics of the real stack (serve(), as `waystation start` runs it): open alerts by rule,
// severity and state read from the registry at scrape time, back to 0 once resolved; the
// notification counters are on the same registry.

let stack: TestStack
beforeAll(async () => { stack = await startTestStack({ ALERTS_TICK_MS: '60000' }) }, 60_000)
afterAll(async () => { await stack?.stop() })

const scrape = async () => (await fetch(`${stack.apiUrl}/metrics`, { headers: stack.auth('viewer') })).text()
const value = (text: string, labels: string) => {
  const m = new RegExp(`^waystation_alerts_open\\{${labels}\\} (\\d+)$`, 'm').exec(text)
  return m === null ? undefined : Number(m[1])
}

test('waystation_alerts_open counts open alerts by rule, severity and state; notification counters are exported', async () => {
  const r = stack.registry
  await r.addStation({ id: 'pm-1', name: 'P1', district: 'futian' })
  await r.addStation({ id: 'pm-2', name: 'P2', district: 'futian' })
  const at = new Date().toISOString()
  const open = async (station: string, rule: 'co2_high' | 'station_offline', severity: 'warning' | 'critical', subject = '') =>
    (await r.alerts.open({ stationId: station, district: 'futian', rule, subject, severity, summary: 's', value: 1, threshold: 1, at })).alert.id
  const [a, b, c] = await r.transaction(async () => [await open('pm-1', 'co2_high', 'warning'), await open('pm-2', 'co2_high', 'warning'), await open('pm-1', 'station_offline', 'critical', 'pm-1-door')])
  await r.transaction(async () => { await r.alerts.fire(a!, at, 1, 's'); await r.alerts.fire(b!, at, 1, 's'); await r.alerts.fire(c!, at, 1, 's') })
  await r.alerts.acknowledge(b!, at, 'test', 'on it')

  let text = await scrape()
  expect(value(text, 'rule="co2_high",severity="warning",state="firing"')).toBe(1)
  expect(value(text, 'rule="co2_high",severity="warning",state="acknowledged"')).toBe(1)
  expect(value(text, 'rule="station_offline",severity="critical",state="firing"')).toBe(1)
  expect(text).toMatch(/^waystation_notifications_sent_total 0$/m)
  expect(text).toMatch(/^# TYPE waystation_notifications_given_up_total counter$/m)
  expect(text).toMatch(/^waystation_notifications_retried_total 0$/m)

  await r.alerts.resolve(c!, at, 'test', 'fixed')
  text = await scrape()
  expect(value(text, 'rule="station_offline",severity="critical",state="firing"')).toBe(0)
  expect(value(text, 'rule="co2_high",severity="warning",state="firing"')).toBe(1)
}, 60_000)
