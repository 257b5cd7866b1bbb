import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startTestStack, type TestStack } from './support/stack.ts'

// Alerts in the monthly reports (station and fleet; JSON and XLSX): the alerts that fired in
// the station's local month, per rule and severity, acknowledged ones and the median time to
// acknowledge. Alerts of the month before and after are left out. The month is last month.

let stack: TestStack
beforeAll(async () => { stack = await startTestStack({ ALERTS_TICK_MS: '600000' }) }, 60_000)
afterAll(async () => { await stack?.stop() })

const d = new Date()
const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1))
const MONTH = last.toISOString().slice(0, 7)
// Local (Asia/Shanghai, UTC+8) times in that month.
const at = (day: number, hh: number, mm = 0) => new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), day, hh - 8, mm)).toISOString()

test('monthly reports count the month\'s alerts per rule and severity with the time to acknowledge', async () => {
  const r = stack.registry
  await r.addStation({ id: 'ra-1', name: '驿站一', district: 'futian' })
  await r.addStation({ id: 'ra-2', name: '驿站二', district: 'futian' })
  const fire = (station: string, rule: 'co2_high' | 'station_offline', severity: 'warning' | 'critical', firedAt: string, ackAfterMin?: number, subject = '') => r.transaction(async () => {
    const a = (await r.alerts.open({ stationId: station, district: 'futian', rule, subject, severity, summary: 's', value: 1, threshold: 1, at: firedAt })).alert
    await r.alerts.fire(a.id, firedAt, 1, 's')
    if (ackAfterMin !== undefined) await r.alerts.acknowledge(a.id, new Date(Date.parse(firedAt) + ackAfterMin * 60_000).toISOString(), 'test', 'ok')
    await r.alerts.resolve(a.id, new Date(Date.parse(firedAt) + 3 * 3_600_000).toISOString(), 'system', null)
  })
  await fire('ra-1', 'co2_high', 'warning', at(3, 10), 10)
  await fire('ra-1', 'co2_high', 'warning', at(9, 14), 30)
  await fire('ra-1', 'co2_high', 'warning', at(15, 9)) // never acknowledged
  await fire('ra-1', 'station_offline', 'critical', at(1, 0, 30), 4, 'ra-1-door') // 00:30 local on the 1st: in the month (16:30 UTC the day before)
  await fire('ra-1', 'co2_high', 'warning', new Date(Date.parse(at(1, 0)) - 60_000).toISOString(), 1) // 23:59 local the month before: out
  await fire('ra-2', 'station_offline', 'critical', at(20, 8), 20, 'ra-2-door')

  const get = (url: string) => fetch(`${stack.apiUrl}${url}`, { headers: { ...stack.auth('viewer'), accept: 'application/json' } })
  const station = await (await get(`/stations/ra-1/reports/${MONTH}`)).json() as { summary: { alerts: unknown } }
  expect(station.summary.alerts).toEqual({
    fired: 4,
    acknowledged: 3,
    medianMinutesToAck: 10,
    byRule: [
      { rule: 'co2_high', severity: 'warning', fired: 3, acknowledged: 2, medianMinutesToAck: 20 },
      { rule: 'station_offline', severity: 'critical', fired: 1, acknowledged: 1, medianMinutesToAck: 4 }
    ]
  })
  const fleet = await (await get(`/fleet/reports/${MONTH}`)).json() as { summary: { alerts: { fired: number, byRule: Array<{ rule: string, fired: number, medianMinutesToAck: number }> } } }
  expect(fleet.summary.alerts.fired).toBe(5)
  expect(fleet.summary.alerts.byRule.find((x) => x.rule === 'station_offline')).toMatchObject({ fired: 2, medianMinutesToAck: 12 })

  // XLSX: the summary has the three figures, and an Alerts sheet has one row per rule and severity.
  const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import openpyxl']).status === 0)
  if (!python) throw new Error('openpyxl is needed to check the XLSX: apt-get install python3-openpyxl')
  const res = await fetch(`${stack.apiUrl}/stations/ra-1/reports/${MONTH}?format=xlsx&lang=en`, { headers: stack.auth('viewer') })
  const file = join(mkdtempSync(join(tmpdir(), 'ws-report-alerts-')), 'r.xlsx')
  writeFileSync(file, Buffer.from(await res.arrayBuffer()))
  const sheets = JSON.parse(execFileSync(python, [join(import.meta.dirname, 'support', 'read-xlsx.py'), file]).toString()) as Array<{ name: string, rows: Array<Array<{ v: unknown }>> }>
  expect(sheets.map((s) => s.name)).toEqual(['Days', 'Summary', 'Alerts'])
  const text = (s: { rows: Array<Array<{ v: unknown }>> }) => s.rows.map((row) => row.map((c) => c.v))
  expect(text(sheets[1]!)).toContainEqual(['Median time to acknowledge (min)', 10])
  expect(text(sheets[1]!)).toContainEqual(['Alerts fired', 4])
  const alerts = text(sheets[2]!)
  expect(alerts).toContainEqual(['Alert rule', 'Severity', 'Alerts fired', 'Acknowledged', 'Median time to acknowledge (min)'])
  expect(alerts).toContainEqual(['co2_high', 'warning', 3, 2, 20])
}, 60_000)
