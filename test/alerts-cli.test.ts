import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, inject, test } from 'vitest'
import { openRegistry, type Registry } from '../registry/open-registry.ts'

// `waystation alerts …` and `waystation webhooks …` in child processes against a registry that
// holds real alert rows: list, show with history, acknowledge and resolve with a note (in the
// alert's history as cli:<user>), silences and rule overrides (audited), webhooks with their
// signing secret printed once; exit codes 1 (refused) and 2 (usage).

const entry = join(import.meta.dirname, '..', 'bin', 'waystation.ts')
const dir = mkdtempSync(join(tmpdir(), 'waystation-alerts-cli-'))
const env = { ...process.env, REGISTRY_PATH: join(dir, 'registry.sqlite'), LOG_LEVEL: 'warn', INFLUX_URL: inject('influxUrl'), INFLUX_DB: 'alerts_cli' }
const cli = (args: string[]) => spawnSync(process.execPath, [entry, ...args], { env, encoding: 'utf8' })
const ok = (args: string[]) => {
  const r = cli(args)
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0)
  return JSON.parse(r.stdout)
}

let registry: Registry
let firing: number
let other: number

beforeAll(async () => {
  registry = openRegistry(env.REGISTRY_PATH)
  await registry.addStation({ id: 'ac-001', name: '驿站一', district: 'futian' })
  await registry.addStation({ id: 'ac-002', name: '驿站二', district: 'nanshan' })
  const at = new Date(Date.now() - 60_000).toISOString()
  await registry.transaction(async () => {
    const a = (await registry.alerts.open({ stationId: 'ac-001', district: 'futian', rule: 'temperature_high', subject: '', severity: 'warning', summary: '33 °C inside', value: 33, threshold: 30, at })).alert
    firing = (await registry.alerts.fire(a.id, at, 33, '33 °C inside'))!.id
    other = (await registry.alerts.open({ stationId: 'ac-002', district: 'nanshan', rule: 'co2_high', subject: '', severity: 'warning', summary: 'CO2', value: 1600, threshold: 1500, at })).alert.id
  })
})
afterAll(() => registry?.close())

test('alerts list, show, ack and resolve go through the operator path and land in the history', async () => {
  expect(ok(['alerts', 'list', '--state', 'open', '--json']).map((a: { id: number }) => a.id)).toEqual([other, firing])
  expect(ok(['alerts', 'list', '--station', 'ac-001', '--json']).map((a: { rule: string }) => a.rule)).toEqual(['temperature_high'])
  expect(cli(['alerts', 'list']).stdout).toMatch(/temperature_high/) // the table for people
  expect(cli(['alerts', 'list', '--state', 'burning']).status).toBe(1) // the API's own query schema refuses it

  // A pending alert cannot be acknowledged: refused, nothing written.
  const early = cli(['alerts', 'ack', String(other), '--note', 'seen'])
  expect(early.status).toBe(1)
  expect(early.stderr).toMatch(/only a firing alert/)
  expect(cli(['alerts', 'ack', String(firing)]).status).toBe(2) // no --note
  expect(cli(['alerts', 'ack', 'x1', '--note', 'n']).status).toBe(2)
  expect(cli(['alerts', 'show', '999999']).status).toBe(1)

  expect(ok(['alerts', 'ack', String(firing), '--note', 'AC engineer called'])).toMatchObject({ state: 'acknowledged', acknowledgedBy: expect.stringMatching(/^cli:/) })
  expect(ok(['alerts', 'resolve', String(firing), '--note', 'AC repaired'])).toMatchObject({ state: 'resolved', resolvedBy: expect.stringMatching(/^cli:/) })
  const shown = ok(['alerts', 'show', String(firing)])
  expect(shown.history.map((t: { kind: string }) => t.kind)).toEqual(['pending', 'fired', 'acknowledged', 'resolved'])
  expect(shown.history.slice(2).map((t: { note: string, notify: boolean }) => [t.note, t.notify])).toEqual([['AC engineer called', true], ['AC repaired', true]])
  // The notifier's outbox has them like an API acknowledgement.
  expect((await registry.alerts.transitionsAfter(0, 100)).filter((t) => t.actor.startsWith('cli:')).map((t) => t.kind)).toEqual(['acknowledged', 'resolved'])
}, 60_000)

test('silences and rule overrides are audited; a bad setting is refused with the API schema', async () => {
  const s = ok(['alerts', 'silence', '--district', 'futian', '--rule', 'temperature_high', '--for', '2h', '--reason', '清洁消毒'])
  expect(s).toMatchObject({ scope: 'district', scopeId: 'futian', rule: 'temperature_high', reason: '清洁消毒', createdBy: expect.stringMatching(/^cli:/) })
  expect(Date.parse(s.endsAt) - Date.parse(s.startsAt)).toBeGreaterThan(7_000_000)
  expect(ok(['alerts', 'silences', '--json']).map((x: { id: number }) => x.id)).toEqual([s.id])
  expect(cli(['alerts', 'silence', '--station', 'ac-001', '--until', new Date(Date.now() - 1000).toISOString(), '--reason', 'x']).status).toBe(1) // in the past
  expect(cli(['alerts', 'silence', '--station', 'ac-001', '--for', 'a while', '--reason', 'x']).status).toBe(1)
  expect(cli(['alerts', 'silence', '--station', 'ac-001', '--district', 'futian', '--for', '1h', '--reason', 'x']).status).toBe(2)
  expect(ok(['alerts', 'unsilence', String(s.id)])).toMatchObject({ endedBy: expect.stringMatching(/^cli:/) })
  expect(cli(['alerts', 'unsilence', String(s.id)]).status).toBe(1) // already ended

  // Overrides: station over district over fleet, shown as the settings in force.
  ok(['alerts', 'rules', 'set', 'temperature_high', '--district', 'futian', '--threshold', '32', '--clear-threshold', '29'])
  ok(['alerts', 'rules', 'set', 'temperature_high', '--station', 'ac-001', '--pending', '120', '--escalation', '600:district-oncall'])
  const inForce = ok(['alerts', 'rules', '--station', 'ac-001', '--json'])
  expect(inForce.rules.temperature_high).toMatchObject({ threshold: 32, clearThreshold: 29, pendingS: 120, escalation: [{ afterS: 600, target: 'district-oncall' }] })
  expect(ok(['alerts', 'rules', '--json']).rules.temperature_high.threshold).toBe(30) // the fleet: the default
  expect(cli(['alerts', 'rules', '--station', 'ac-001']).stdout).toMatch(/night_alone/)
  // A negative pending period is refused by the schema, an unknown rule by name.
  expect(cli(['alerts', 'rules', 'set', 'temperature_high', '--station', 'ac-001', '--pending=-5']).status).toBe(1)
  expect(cli(['alerts', 'rules', 'set', 'no_such_rule', '--fleet', '--threshold', '1']).status).toBe(1)
  expect(cli(['alerts', 'rules', 'set', 'temperature_high', '--threshold', '1']).status).toBe(2) // no level
  expect(cli(['alerts', 'rules', 'set', 'temperature_high', '--fleet']).status).toBe(2) // no setting
  expect(ok(['alerts', 'rules', 'reset', 'temperature_high', '--station', 'ac-001']).removed.settings).toEqual({ pendingS: 120, escalation: [{ afterS: 600, target: 'district-oncall' }] })
  expect(ok(['alerts', 'rules', '--station', 'ac-001', '--json']).rules.temperature_high.pendingS).toBe(600)
  expect(cli(['alerts', 'rules', 'reset', 'temperature_high', '--station', 'ac-001']).status).toBe(1) // nothing to remove

  const actions = (await registry.audit.list({ limit: 50 })).filter((e) => e.action.startsWith('alert_'))
  expect(actions.map((e) => e.action).reverse()).toEqual(['alert_silence.create', 'alert_silence.end', 'alert_rule.update', 'alert_rule.update', 'alert_rule.update'])
  expect(actions.every((e) => e.actor.startsWith('cli:'))).toBe(true)
}, 60_000)

test('webhooks add, list, rotate and delete: the signing secret printed once, never listed or audited', async () => {
  const add = cli(['webhooks', 'add', '--name', '福田值班群', '--url', 'https://bots.example.org/hook', '--district', 'futian', '--targets', 'district-oncall'])
  expect(add.status, add.stderr).toBe(0)
  const lines = add.stdout.trimEnd().split('\n')
  expect(lines).toContain('scope: district')
  const secret = /^secret: (whsec_[A-Za-z0-9_-]{43})$/.exec(lines.at(-1)!)![1]!
  expect(add.stderr).toMatch(/shown once and kept by the server to sign requests/)
  const id = Number(/^id: (\d+)$/m.exec(add.stdout)![1])
  expect(await registry.notify.webhooks.secretOf(id)).toBe(secret) // the one the notifier signs with

  expect(cli(['webhooks', 'add', '--name', 'x', '--url', 'file:///etc/passwd']).status).toBe(1)
  expect(cli(['webhooks', 'add', '--name', 'x', '--url', 'https://a.example', '--station', 'nowhere']).status).toBe(1)
  expect(cli(['webhooks', 'add', '--name', 'x', '--url', 'https://a.example', '--all', '--district', 'futian']).status).toBe(2)

  const listed = cli(['webhooks', 'list', '--json'])
  expect(JSON.parse(listed.stdout)).toMatchObject([{ id, name: '福田值班群', scope: 'district', scopeId: 'futian', targets: ['district-oncall'], allAlerts: true }])
  expect(listed.stdout).not.toMatch(/whsec_/)

  const rotated = JSON.parse(cli(['webhooks', 'rotate', String(id), '--json']).stdout)
  expect(rotated.secret).toMatch(/^whsec_/)
  expect(rotated.secret).not.toBe(secret)
  expect(await registry.notify.webhooks.secretOf(id)).toBe(rotated.secret)

  expect(ok(['webhooks', 'delete', String(id)])).toEqual({ deleted: id })
  expect(cli(['webhooks', 'delete', String(id)]).status).toBe(1)
  expect(JSON.parse(cli(['webhooks', 'list', '--json']).stdout)).toEqual([])

  const audit = (await registry.audit.list({ limit: 50 })).filter((e) => e.action.startsWith('webhook.'))
  expect(audit.map((e) => e.action).reverse()).toEqual(['webhook.create', 'webhook.rotate', 'webhook.delete'])
  expect(audit.every((e) => e.actor.startsWith('cli:'))).toBe(true)
  expect(JSON.stringify(audit)).not.toMatch(/whsec_/)
}, 60_000)
