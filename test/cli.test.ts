import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, test } from 'vitest'
import { connectDevice } from './support/device.ts'

// The real CLI in child processes: registry commands (audited as cli:<user>, exit codes
// 0/1/2), config errors, the first admin token, and the broker and API roles running as
// separate processes.

const entry = join(import.meta.dirname, '..', 'bin', 'waystation.ts')
const dir = mkdtempSync(join(tmpdir(), 'waystation-cli-'))
const env = { ...process.env, REGISTRY_PATH: join(dir, 'registry.sqlite'), LOG_LEVEL: 'warn', INFLUX_URL: inject('influxUrl'), INFLUX_DB: 'cli_test' }
const cli = (args: string[], extra: Record<string, string> = {}) => spawnSync(process.execPath, [entry, ...args], { env: { ...env, ...extra }, encoding: 'utf8' })
const json = (args: string[]) => {
  const r = cli(args)
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0)
  return JSON.parse(r.stdout)
}

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port
    s.close(() => resolve(port))
  })
})

const children: Array<ReturnType<typeof spawn>> = []
afterAll(() => { for (const c of children) c.kill('SIGTERM') })

describe('waystation CLI', () => {
  test('stations and devices commands manage the registry', () => {
    const add = cli(['stations', 'add', '--id', 'sz-cli-001', '--name', '测试驿站', '--capacity', '9', '--lat', '22.5', '--lon', '114.05', '--hours', '1-5 06:00-22:00', '--amenities', 'wifi,ac'])
    expect(add.status, add.stderr).toBe(0)
    expect(JSON.parse(add.stdout)).toMatchObject({ id: 'sz-cli-001', capacity: 9, timezone: 'Asia/Shanghai', lat: 22.5, amenities: ['ac', 'wifi'], openingHours: [{ days: [1, 2, 3, 4, 5] }] })
    // The zone was not given: the CLI says which one it took (and the capacity it was given).
    expect(add.stderr).toBe('station sz-cli-001: timezone Asia/Shanghai (default: no --timezone given), capacity 9\n')
    const berlin = cli(['stations', 'add', '--id', 'cli-berlin', '--name', 'Berlin', '--timezone', 'Europe/Berlin'], { REGISTRY_PATH: join(dir, 'other.sqlite') })
    expect(berlin.stderr).toMatch(/^station cli-berlin: timezone Europe\/Berlin, capacity \d+ \(default: no --capacity given\)\n$/)

    const dup = cli(['stations', 'add', '--id', 'sz-cli-001', '--name', 'again'])
    expect(dup.status).toBe(1)
    expect(dup.stderr).toMatch(/already exists/)

    const bad = cli(['stations', 'add', '--id', 'sz-cli-002', '--name', 'x', '--lat', 'north'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/--lat must be a number/)

    // For people: field lines, the secret alone on the last line; a script greps it out even
    // with text before it (npm's banner without --silent).
    const dev = cli(['devices', 'add', '--station', 'sz-cli-001', '--id', 'sz-cli-001-door', '--kind', 'door'])
    expect(dev.status, dev.stderr).toBe(0)
    const devLines = dev.stdout.trimEnd().split('\n')
    expect(devLines).toContain('kind: door')
    expect(devLines.at(-1)).toMatch(/^secret: [A-Za-z0-9_-]{43}$/)
    expect(dev.stdout.match(/^secret: /gm)).toHaveLength(1)
    expect(dev.stderr).toMatch(/shown once/)
    // --json: one JSON line, the last one.
    const devJson = cli(['devices', 'add', '--station', 'sz-cli-001', '--id', 'sz-cli-001-sensors', '--kind', 'sensors', '--json'])
    expect(devJson.stdout.trimEnd().split('\n')).toHaveLength(1)
    expect(JSON.parse(devJson.stdout)).toMatchObject({ kind: 'sensors', secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) })

    const list = cli(['stations', 'list', '--json'])
    expect(JSON.parse(list.stdout).map((s: { id: string }) => s.id)).toEqual(['sz-cli-001'])
    const show = cli(['stations', 'show', 'sz-cli-001'])
    expect(JSON.parse(show.stdout).devices.map((d: { id: string }) => d.id)).toEqual(['sz-cli-001-door', 'sz-cli-001-sensors'])
    expect(show.stdout).not.toMatch(/secret/i)
  })

  test('update, status changes, import, rotate and revoke, all in the audit log as cli:<user>', () => {
    expect(json(['stations', 'update', 'sz-cli-001', '--capacity', '11', '--district', '福田区'])).toMatchObject({ capacity: 11, district: '福田区' })
    expect(json(['stations', 'suspend', 'sz-cli-001']).status).toBe('suspended')
    expect(json(['stations', 'activate', 'sz-cli-001']).status).toBe('active')

    const csv = join(dir, 'stations.csv')
    writeFileSync(csv, 'id,name,capacity,opening_hours\nsz-cli-010,一,5,24h\nsz-cli-011,二,6,1-7 07:00-21:00\n')
    const imported = cli(['stations', 'import', csv])
    expect(imported.status, imported.stderr).toBe(0)
    expect(imported.stdout).toMatch(/imported 2 station\(s\): sz-cli-010, sz-cli-011/)
    // All or nothing: one bad row, nothing imported, every bad row named.
    writeFileSync(csv, 'id,name,capacity\nsz-cli-012,三,5\nsz-cli-013,四,0\nsz-cli-010,again,1\n')
    const refused = cli(['stations', 'import', csv])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/line 3 \(sz-cli-013\): capacity/)
    expect(refused.stderr).toMatch(/line 4: station sz-cli-010 already exists/)
    expect(json(['stations', 'list', '--json']).map((s: { id: string }) => s.id)).not.toContain('sz-cli-012')
    expect(json(['stations', 'retire', 'sz-cli-011']).status).toBe('retired')

    const first = json(['devices', 'add', '--station', 'sz-cli-010', '--id', 'sz-cli-010-hub', '--kind', 'hub', '--json'])
    const rotated = json(['devices', 'rotate', 'sz-cli-010-hub', '--json'])
    expect(rotated.secret).not.toBe(first.secret)
    expect(json(['devices', 'revoke', 'sz-cli-010-hub']).revokedAt).toEqual(expect.any(String))
    expect(cli(['devices', 'revoke', 'sz-cli-010-hub']).status).toBe(1)
    expect(json(['devices', 'list', '--station', 'sz-cli-010', '--json'])).toEqual([expect.objectContaining({ id: 'sz-cli-010-hub', rotatedAt: expect.any(String) })])

    const audit = json(['audit', '--limit', '100', '--json']) as Array<{ actor: string, action: string, target: string }>
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining([
      'station.create', 'station.update', 'station.suspend', 'station.activate', 'station.import', 'station.retire', 'device.create', 'device.rotate', 'device.revoke'
    ]))
    for (const e of audit) expect(e.actor).toMatch(/^cli:.+/)
    const text = JSON.stringify(audit)
    for (const secret of [first.secret, rotated.secret]) expect(text).not.toContain(secret)
    // An import is one entry for the file (target stations:<count>), so the station has one.
    expect(json(['audit', '--target', 'station:sz-cli-011', '--json']).map((e: { action: string }) => e.action)).toEqual(['station.retire'])
  })

  test('services add, list, update, rotate and revoke, audited as cli:<user>; ids shared with devices refused', () => {
    const added = json(['services', 'add', '--id', 'cli-board', '--name', '福田 board', '--district', '福田区', '--json'])
    expect(added).toMatchObject({ id: 'cli-board', scope: { kind: 'district', district: '福田区' }, permission: 'subscribe', secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) })
    const listed = json(['services', 'list', '--json'])
    expect(listed).toEqual([expect.objectContaining({ id: 'cli-board', status: 'active' })])
    expect(JSON.stringify(listed)).not.toContain(added.secret)
    const table = cli(['services', 'list'])
    expect(table.stdout).toMatch(/cli-board.*district 福田区/)

    expect(json(['services', 'update', 'cli-board', '--stations', 'sz-cli-001,sz-cli-010', '--permission', 'subscribe+commands']))
      .toMatchObject({ scope: { kind: 'stations', stations: ['sz-cli-001', 'sz-cli-010'] }, permission: 'subscribe+commands' })
    const rotated = json(['services', 'rotate', 'cli-board', '--json'])
    expect(rotated.secret).not.toBe(added.secret)
    expect(json(['services', 'revoke', 'cli-board'])).toMatchObject({ status: 'revoked' })
    expect(cli(['services', 'revoke', 'cli-board']).status).toBe(1)

    for (const [args, reason] of [
      [['services', 'add', '--id', 'sz-cli-001-door', '--name', 'x', '--all-stations'], /already used by a device/],
      [['devices', 'add', '--station', 'sz-cli-001', '--id', 'cli-board', '--kind', 'door'], /already used by a service/],
      [['services', 'add', '--id', 'cli-x', '--name', 'x', '--stations', 'sz-cli-404'], /unknown station\(s\) sz-cli-404/],
      [['services', 'add', '--id', 'cli-x', '--name', 'x', '--all-stations', '--permission', 'root'], /permission/]
    ] as const) {
      const r = cli([...args])
      expect(r.status, args.join(' ')).toBe(1)
      expect(r.stderr, args.join(' ')).toMatch(reason)
    }
    for (const args of [['services'], ['services', 'add', '--id', 'cli-x', '--name', 'x'], ['services', 'add', '--id', 'cli-x', '--name', 'x', '--all-stations', '--district', 'a']]) {
      const r = cli(args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(/usage/)
    }

    const audit = json(['audit', '--target', 'service:cli-board', '--json']) as Array<{ actor: string, action: string }>
    expect(audit.map((e) => e.action)).toEqual(['service.revoke', 'service.rotate', 'service.update', 'service.create'])
    for (const e of audit) expect(e.actor).toMatch(/^cli:.+/)
    for (const secret of [added.secret, rotated.secret]) expect(JSON.stringify(audit)).not.toContain(secret)
  })

  test('usage mistakes exit 2 with the usage; refusals exit 1 with the reason', () => {
    for (const args of [['stations'], ['stations', 'frobnicate'], ['stations', 'add', '--name', 'x'], ['stations', 'add', '--id', 'a', '--name', 'x', '--colour', 'red'],
      ['devices', 'add', '--station', 'sz-cli-001', '--id', 'sz-cli-001-x'], ['tokens'], ['tokens', 'create', '--name', 'x'], ['audit', 'extra'], ['nonsense']]) {
      const r = cli(args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(/usage/)
    }
    for (const [args, reason] of [[['tokens', 'create', '--name', 'x', '--role', 'root'], /role must be one of viewer, operator, admin/],
      [['tokens', 'create', '--name', 'x', '--role', 'viewer', '--expires', '2001-01-01T00:00:00Z'], /future/],
      [['devices', 'add', '--station', 'sz-cli-001', '--id', 'sz-cli-001-x', '--kind', 'toaster'], /kind must be one of/],
      [['stations', 'show', 'nope'], /not found/], [['tokens', 'revoke', 'aaaaaaaaaaaa'], /not found/]] as const) {
      const r = cli([...args])
      expect(r.status, args.join(' ')).toBe(1)
      expect(r.stderr, args.join(' ')).toMatch(reason)
    }
  })

  test('tokens carry a station scope: set at creation, shown in the list, audited; never on an admin', () => {
    const district = JSON.parse(cli(['tokens', 'create', '--name', 'north union', '--role', 'viewer', '--district', '福田区', '--json']).stdout)
    expect(district).toMatchObject({ role: 'viewer', scope: { kind: 'district', district: '福田区' } })
    const listed = JSON.parse(cli(['tokens', 'create', '--name', 'staff', '--role', 'operator', '--stations', 'sz-cli-001, sz-cli-002', '--json']).stdout)
    expect(listed.scope).toEqual({ kind: 'stations', stations: ['sz-cli-001', 'sz-cli-002'] })
    // No scope option: all stations, as every token before scopes existed.
    expect(JSON.parse(cli(['tokens', 'create', '--name', 'city', '--role', 'viewer', '--json']).stdout).scope).toEqual({ kind: 'all' })
    const tokens = json(['tokens', 'list', '--json']) as Array<{ id: string, scope: unknown }>
    expect(tokens.find((t) => t.id === district.id)?.scope).toEqual({ kind: 'district', district: '福田区' })
    const table = cli(['tokens', 'list'])
    expect(table.stdout).toContain('district 福田区')
    expect(table.stdout).toContain('stations sz-cli-001,sz-cli-002')
    const [entry] = json(['audit', '--target', `token:${district.id}`, '--json']) as Array<{ action: string, after: { scope: unknown } }>
    expect(entry).toMatchObject({ action: 'token.create', after: { scope: { kind: 'district', district: '福田区' } } })

    const admin = cli(['tokens', 'create', '--name', 'x', '--role', 'admin', '--district', '福田区'])
    expect(admin.status).toBe(1)
    expect(admin.stderr).toMatch(/admin token is always scoped to all stations/)
    const both = cli(['tokens', 'create', '--name', 'x', '--role', 'viewer', '--district', 'a', '--stations', 'b'])
    expect(both.status).toBe(2)
    expect(both.stderr).toMatch(/one scope only/)
  })

  test('a bad configuration exits 1 naming the variable', () => {
    const r = cli(['start'], { API_PORT: 'eighty', INFLUX_URL: 'not a url', API_CORS_ORIGINS: 'dash.example.org', RAW_RETENTION: '30m' })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/Invalid configuration/)
    expect(r.stderr).toMatch(/API_PORT/)
    expect(r.stderr).toMatch(/INFLUX_URL/)
    expect(r.stderr).toMatch(/API_CORS_ORIGINS/)
    expect(r.stderr).toMatch(/RAW_RETENTION: a duration like 72h, 400d or 52w/)
  })

  test('broker and api run as separate processes; the first admin token comes from the CLI', async () => {
    const secret = JSON.parse(cli(['devices', 'add', '--station', 'sz-cli-001', '--id', 'sz-cli-001-hub', '--kind', 'hub', '--json']).stdout).secret as string
    // Bootstrap: nobody can call the admin API before someone at the server makes a token.
    const created = cli(['tokens', 'create', '--name', 'ops', '--role', 'admin', '--json'])
    expect(created.status, created.stderr).toBe(0)
    const admin = JSON.parse(created.stdout)
    expect(admin).toMatchObject({ name: 'ops', role: 'admin', createdBy: expect.stringMatching(/^cli:/), secret: expect.stringMatching(/^wst_[a-z0-9]{12}_/) })
    const forPeople = cli(['tokens', 'create', '--name', 'ops-2', '--role', 'viewer'])
    expect(forPeople.stdout).toMatch(/^name: ops-2$/m)
    expect(forPeople.stdout.trimEnd().split('\n').at(-1)).toMatch(/^secret: wst_[a-z0-9]{12}_\S+$/)
    expect(json(['tokens', 'list', '--json'])[0]).not.toHaveProperty('secret')

    const [mqttPort, apiPort, metricsPort] = [await freePort(), await freePort(), await freePort()]
    const ports = { MQTT_HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), API_HOST: '127.0.0.1', API_PORT: String(apiPort), BROKER_URL: `mqtt://127.0.0.1:${mqttPort}`, METRICS_PORT: String(metricsPort) }
    for (const role of ['broker', 'api']) {
      const child = spawn(process.execPath, [entry, role], { env: { ...env, ...ports }, stdio: 'ignore' })
      children.push(child)
    }
    const api = `http://127.0.0.1:${apiPort}`
    const health = async () => {
      for (let i = 0; i < 100; i++) {
        const res = await fetch(`${api}/health`).catch(() => null)
        if (res?.status === 200) return res.json()
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error('API never became healthy')
    }
    expect(await health()).toMatchObject({ status: 'ok', checks: { broker: { ok: true }, influx: { ok: true } } })
    const device = await connectDevice(`mqtt://127.0.0.1:${mqttPort}`, 'sz-cli-001-hub', secret)
    await device.endAsync()

    expect((await fetch(`${api}/stations`)).status).toBe(401)
    const auth = { authorization: `Bearer ${admin.secret}` }
    expect((await fetch(`${api}/tokens`, { headers: auth })).status).toBe(200)
    // The broker-only process serves its own /metrics, behind the same tokens.
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
    expect((await fetch(metricsUrl)).status).toBe(401)
    const scraped = await fetch(metricsUrl, { headers: auth })
    expect(scraped.status).toBe(200)
    expect(await scraped.text()).toMatch(/^waystation_mqtt_connections_refused_total|^waystation_messages_received_total|^# HELP waystation_mqtt_connected_clients/m)
    // The token revoked from the CLI stops working in the running API at once.
    expect(cli(['tokens', 'revoke', admin.id]).status).toBe(0)
    expect((await fetch(`${api}/tokens`, { headers: auth })).status).toBe(401)
    const audit = json(['audit', '--target', `token:${admin.id}`, '--json']) as Array<{ action: string }>
    expect(audit.map((e) => e.action)).toEqual(['token.revoke', 'token.create'])

    // SIGTERM: the broker stops cleanly and the API reports it.
    const broker = children[0]!
    const exited = new Promise<number | null>((resolve) => broker.once('exit', (code) => resolve(code)))
    broker.kill('SIGTERM')
    expect(await exited).toBe(0)
    const res = await fetch(`${api}/health`)
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ status: 'degraded', checks: { broker: { ok: false } } })
  })
})
