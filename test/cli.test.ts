import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, test } from 'vitest'
import { connectDevice } from './support/device.ts'

// The real CLI in child processes: registry commands, config errors, and the broker and API
// roles running as separate processes.

const entry = join(import.meta.dirname, '..', 'bin', 'waystation.ts')
const dir = mkdtempSync(join(tmpdir(), 'waystation-cli-'))
const env = { ...process.env, REGISTRY_PATH: join(dir, 'registry.sqlite'), LOG_LEVEL: 'warn', INFLUX_URL: inject('influxUrl'), INFLUX_DB: 'cli_test' }
const cli = (args: string[], extra: Record<string, string> = {}) => spawnSync(process.execPath, [entry, ...args], { env: { ...env, ...extra }, encoding: 'utf8' })

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
    const add = cli(['stations', 'add', '--id', 'sz-cli-001', '--name', '测试驿站', '--capacity', '9', '--lat', '22.5', '--lon', '114.05'])
    expect(add.status, add.stderr).toBe(0)
    expect(JSON.parse(add.stdout)).toMatchObject({ id: 'sz-cli-001', capacity: 9, timezone: 'Asia/Shanghai', lat: 22.5 })

    const dup = cli(['stations', 'add', '--id', 'sz-cli-001', '--name', 'again'])
    expect(dup.status).toBe(1)
    expect(dup.stderr).toMatch(/already exists/)

    const bad = cli(['stations', 'add', '--id', 'sz-cli-002', '--name', 'x', '--lat', 'north'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/--lat must be a number/)

    const dev = cli(['devices', 'add', '--station', 'sz-cli-001', '--id', 'sz-cli-001-door'])
    expect(dev.status, dev.stderr).toBe(0)
    expect(JSON.parse(dev.stdout).secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(dev.stderr).toMatch(/shown once/)

    const list = cli(['stations', 'list', '--json'])
    expect(JSON.parse(list.stdout).map((s: { id: string }) => s.id)).toEqual(['sz-cli-001'])
    const show = cli(['stations', 'show', 'sz-cli-001'])
    expect(JSON.parse(show.stdout).devices.map((d: { id: string }) => d.id)).toEqual(['sz-cli-001-door'])
    expect(show.stdout).not.toMatch(/secret/i)
  })

  test('a bad configuration exits 1 naming the variable', () => {
    const r = cli(['start'], { API_PORT: 'eighty', INFLUX_URL: 'not a url' })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/Invalid configuration/)
    expect(r.stderr).toMatch(/API_PORT/)
    expect(r.stderr).toMatch(/INFLUX_URL/)
  })

  test('broker and api run as separate processes; the API probes the broker over MQTT', async () => {
    const secret = JSON.parse(cli(['devices', 'add', '--station', 'sz-cli-001', '--id', 'sz-cli-001-hub']).stdout).secret as string
    const [mqttPort, apiPort] = [await freePort(), await freePort()]
    const ports = { MQTT_HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), API_HOST: '127.0.0.1', API_PORT: String(apiPort), BROKER_URL: `mqtt://127.0.0.1:${mqttPort}` }
    for (const role of ['broker', 'api']) {
      const child = spawn(process.execPath, [entry, role], { env: { ...env, ...ports }, stdio: 'ignore' })
      children.push(child)
    }
    const health = async () => {
      for (let i = 0; i < 100; i++) {
        const res = await fetch(`http://127.0.0.1:${apiPort}/health`).catch(() => null)
        if (res?.status === 200) return res.json()
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error('API never became healthy')
    }
    expect(await health()).toMatchObject({ status: 'ok', checks: { broker: { ok: true }, influx: { ok: true } } })
    const device = await connectDevice(`mqtt://127.0.0.1:${mqttPort}`, 'sz-cli-001-hub', secret)
    await device.endAsync()

    // SIGTERM: the broker stops cleanly and the API reports it.
    const broker = children[0]!
    const exited = new Promise<number | null>((resolve) => broker.once('exit', (code) => resolve(code)))
    broker.kill('SIGTERM')
    expect(await exited).toBe(0)
    const res = await fetch(`http://127.0.0.1:${apiPort}/health`)
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ status: 'degraded', checks: { broker: { ok: false } } })
  })
})
