// `waystation start --workers N` as a real child process: the primary's and the workers' JSON log
// lines (stdout) are kept, so tests can find the workers' pids, the private Redis and who logged what.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { freePort } from './stack-process.ts'

const entry = join(import.meta.dirname, '..', '..', 'bin', 'waystation.ts')

export type LogLine = { pid: number, msg: string, worker?: string, component?: string, [k: string]: unknown }

export async function createWorkersProcess (workers: number, env: Record<string, string>) {
  const mqttPort = await freePort()
  const apiPort = await freePort()
  const lines: LogLine[] = []
  const child: ChildProcess = spawn(process.execPath, [entry, 'start', '--workers', String(workers)], {
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      // Every test client connects from 127.0.0.1: per-address limits are tested on their own.
      MQTT_CONNECTS_PER_WINDOW: '1000000',
      ...env
    },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try { lines.push(JSON.parse(line) as LogLine) } catch { lines.push({ pid: 0, msg: line }) }
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const find = (pred: (l: LogLine) => boolean) => lines.filter(pred)

  return {
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    pid: child.pid!,
    lines,
    find,
    alive: () => child.exitCode === null && child.signalCode === null,
    /** pid of each worker as last reported ready by the primary. */
    workerPids (): Map<string, number> {
      const pids = new Map<string, number>()
      for (const l of find((l) => l.pid === child.pid && /^worker (restarted and )?ready$/.test(l.msg))) pids.set(l.worker!, l.workerPid as number)
      return pids
    },
    /** The private Redis the primary announced. */
    redisUrl: (): string | undefined => find((l) => l.component === 'redis-server' && typeof l.url === 'string')[0]?.url as string | undefined,
    async stop (signal: NodeJS.Signals): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const [code, sig] = await exited
      return { code, signal: sig }
    },
    exited
  }
}
