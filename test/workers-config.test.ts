// `waystation start --workers N`: the option, and the refusals that stop the primary before it
// forks anything (a clear message, exit 1).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { parseWorkersOption, workerBrokerId, workerEnv } from '../cluster/workers/worker-env.ts'

const entry = join(import.meta.dirname, '..', 'bin', 'waystation.ts')
const dir = mkdtempSync(join(tmpdir(), 'waystation-workers-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const start = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, [entry, 'start', ...args], {
  // Both servers named: nothing private is started, so a refusal comes before anything runs.
  env: { ...process.env, DATA_DIR: dir, INFLUX_URL: 'http://127.0.0.1:9', REDIS_URL: 'redis://127.0.0.1:9', LOG_LEVEL: 'warn', ...env },
  encoding: 'utf8',
  timeout: 60_000
})

test('--workers N: the default is the number of cores, 1 to 999, both spellings', () => {
  expect(parseWorkersOption([], 8)).toEqual({ workers: 8, explicit: false, rest: [] })
  expect(parseWorkersOption(['--workers', '3'], 8)).toEqual({ workers: 3, explicit: true, rest: [] })
  expect(parseWorkersOption(['--workers=1', 'x'], 8)).toEqual({ workers: 1, explicit: true, rest: ['x'] })
  for (const bad of [['--workers'], ['--workers', '0'], ['--workers', 'two'], ['--workers=1000'], ['--workers', '-1']]) {
    expect(() => parseWorkersOption(bad, 8), bad.join(' ')).toThrow(/--workers: a whole number from 1 to 999/)
  }
})

test('each worker is its own cluster node with a stable broker id; only the first serves a Unix socket', () => {
  const shared = { redisUrl: 'redis://r:1', influxUrl: 'http://i:2', baseBrokerId: 'node-a', socketPath: '/run/ws.sock' }
  expect(workerEnv(1, shared)).toEqual({ WAYSTATION_WORKER: 'w1', CLUSTER: 'redis', REDIS_URL: 'redis://r:1', INFLUX_URL: 'http://i:2', BROKER_ID: 'node-a-w1', MQTT_SOCKET_PATH: '/run/ws.sock' })
  expect(workerEnv(2, shared)).toMatchObject({ BROKER_ID: 'node-a-w2', MQTT_SOCKET_PATH: '' })
  expect(workerBrokerId('waystation-1', 12)).toBe('waystation-1-w12')
})

test('a bad --workers value exits 1 with the reason', () => {
  const r = start(['--workers', 'many'], {})
  expect(r.status).toBe(1)
  expect(r.stderr).toMatch(/--workers: a whole number from 1 to 999, not "many"/)
})

test('a configuration a worker would refuse stops the primary before it forks', () => {
  // A broker id that leaves no room for the worker suffix.
  const long = start(['--workers', '2'], { BROKER_ID: 'x'.repeat(63) })
  expect(long.status).toBe(1)
  expect(long.stderr).toMatch(/--workers 2: Invalid configuration:[\s\S]*BROKER_ID/)
})
