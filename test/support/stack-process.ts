import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { join } from 'node:path'

const entry = join(import.meta.dirname, '..', '..', 'bin', 'waystation.ts')

export const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port
    s.close(() => resolve(port))
  })
})

/** `waystation start` as a real child process, for tests that kill it. */
export async function createStackProcess (env: Record<string, string>) {
  const mqttPort = await freePort()
  const apiPort = await freePort()
  const fullEnv = {
    ...process.env,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: String(mqttPort),
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    BROKER_URL: `mqtt://127.0.0.1:${mqttPort}`,
    // Every test client connects from 127.0.0.1: per-address limits are tested on their own.
    MQTT_CONNECTS_PER_WINDOW: '1000000',
    ...env
  }
  let child: ChildProcess | undefined
  let starts = 0

  async function start (): Promise<void> {
    child = spawn(process.execPath, [entry, 'start', '--workers', '1'], { env: fullEnv, stdio: ['ignore', 'ignore', 'inherit'] })
    starts++
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`http://127.0.0.1:${apiPort}/health`).then((r) => r.status === 200, () => false)
      if (ok) return
      if (child.exitCode !== null) throw new Error(`stack exited with ${child.exitCode} while starting`)
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('stack did not become healthy')
  }

  async function stop (signal: NodeJS.Signals): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    const c = child
    if (!c || c.exitCode !== null || c.signalCode !== null) return { code: c?.exitCode ?? null, signal: c?.signalCode ?? null }
    const exited = once(c, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
    c.kill(signal)
    const [code, sig] = await exited
    return { code, signal: sig }
  }

  return {
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    start,
    stop,
    pid: () => child?.pid,
    alive: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    starts: () => starts,
    rssBytes: async (): Promise<number> => {
      const { readFile } = await import('node:fs/promises')
      const status = await readFile(`/proc/${child!.pid}/status`, 'utf8')
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024
    }
  }
}
