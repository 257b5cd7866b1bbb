// `waystation start` on a machine without InfluxDB configured: no INFLUX_URL, so it runs a
// private influxd under DATA_DIR, says so in the log, stores and acknowledges a device's event,
// and stops that influxd when it is stopped (SIGTERM).
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openRegistry } from '../registry/open-registry.ts'
import { connectDevice, publishEvent, worker } from './support/device.ts'
import { freePort } from './support/stack-process.ts'

const entry = join(import.meta.dirname, '..', 'bin', 'waystation.ts')
const dir = mkdtempSync(join(tmpdir(), 'waystation-start-'))
let child: ChildProcess | undefined
afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const alive = (pid: number) => { try { process.kill(pid, 0); return true } catch { return false } }
async function until<T> (what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('waystation start without INFLUX_URL', () => {
  it('runs a private influxd, stores and acknowledges an event, and stops it on SIGTERM', async () => {
    const registry = openRegistry(join(dir, 'registry.sqlite'))
    await registry.addStation({ id: 'emb-1', name: 'Embedded' })
    const { secret } = await registry.addDevice('emb-1', 'emb-1-door', 'door')
    registry.close()

    // Free ports are only free until someone else takes them (the private influxd picks its own
    // at start, other tests run alongside): a start that lost such a race is tried again with
    // new ports. Anything else that stops it fails the test.
    type Log = { msg?: string, url?: string, pid?: number, dataDir?: string }
    async function start (attempt = 1): Promise<{ mqttPort: number, apiPort: number, announced: Log }> {
      const [mqttPort, apiPort] = [await freePort(), await freePort()]
      const env: NodeJS.ProcessEnv = {
        ...process.env, LOG_LEVEL: 'info', DATA_DIR: dir,
        MQTT_HOST: '127.0.0.1', MQTT_PORT: String(mqttPort), API_HOST: '127.0.0.1', API_PORT: String(apiPort)
      }
      delete env.INFLUX_URL
      const c = child = spawn(process.execPath, [entry, 'start', '--workers', '1'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      const logs: Log[] = []
      let output = ''
      let buffered = ''
      c.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8')
        buffered += chunk.toString('utf8')
        const lines = buffered.split('\n')
        buffered = lines.pop()!
        for (const line of lines) { try { logs.push(JSON.parse(line)) } catch { /* not a log line */ } }
      })
      c.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); process.stderr.write(chunk) })
      const exited = () => {
        if (c.exitCode === null && c.signalCode === null) return false
        if (/EADDRINUSE|address already in use/.test(output)) return true
        throw new Error(`waystation start exited with ${c.exitCode ?? c.signalCode}`)
      }
      const announced = await until('the private influxd log line', () => exited() ? null : logs.find((l) => l.msg?.startsWith('INFLUX_URL is not set')))
      const healthy = announced && await until('/health 200', () => exited()
        ? false
        : fetch(`http://127.0.0.1:${apiPort}/health`).then((r) => (r.status === 200 ? true : undefined), () => undefined))
      if (announced && healthy) return { mqttPort, apiPort, announced }
      if (attempt === 3) throw new Error(`waystation start lost a port race ${attempt} times:\n${output.slice(-2000)}`)
      return await start(attempt + 1) // new ports
    }
    const { mqttPort, announced } = await start()
    expect(announced.dataDir).toBe(join(dir, 'influxdb'))
    expect(alive(announced.pid!)).toBe(true)

    const device = await connectDevice(`mqtt://127.0.0.1:${mqttPort}`, 'emb-1-door', secret)
    // A QoS 1 publishAsync resolves on the PUBACK, which the broker sends only once the event is
    // stored (before the fix it never came: ingest kept retrying an InfluxDB that was not there).
    await publishEvent(device, 'emb-1', 'door', { device: 'emb-1-door', ts: Date.now(), seq: 1, direction: 'in', result: 'granted', method: 'face', worker: worker(1) })
    await device.endAsync()
    const q = new URL('/query', announced.url!)
    q.searchParams.set('db', 'waystation')
    q.searchParams.set('q', 'SELECT count("seq") FROM "door" WHERE "station" = \'emb-1\'')
    const stored = await (await fetch(q)).json() as { results: Array<{ series?: Array<{ values: unknown[][] }> }> }
    expect(stored.results[0]!.series![0]!.values[0]![1]).toBe(1)

    const exited = once(child!, 'exit')
    child!.kill('SIGTERM')
    const [code] = await exited
    expect(code).toBe(0)
    expect(alive(announced.pid!)).toBe(false) // stopped by the process, not by a watchdog later
  }, 120_000)
})
