// The primary's supervision of its workers (cluster/workers/worker-pool.ts) with real processes
// forked through node:cluster, running a stand-in (test/support/pool-worker.ts) instead of the
// whole stack: restart with back-off, give-up after repeated crashes, a failed first start, and
// a stop that waits for every worker to drain (and kills one that does not).
import cluster from 'node:cluster'
import { join } from 'node:path'
import { beforeAll, expect, test } from 'vitest'
import { createLogger } from '../platform/logger.ts'
import { workerName } from '../cluster/workers/worker-env.ts'
import { createWorkerPool } from '../cluster/workers/worker-pool.ts'

type Line = { msg: string, worker?: string, delayMs?: number, code?: number }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (cond: () => boolean, what: string, ms = 60_000) => {
  for (const end = Date.now() + ms; Date.now() < end;) { if (cond()) return; await sleep(50) }
  throw new Error(`timed out waiting for ${what}`)
}

beforeAll(() => {
  cluster.setupPrimary({ exec: join(import.meta.dirname, 'support', 'pool-worker.ts'), args: [], silent: false })
})

function pool (mode: string, count: number, extra: { stopTimeoutMs?: number } = {}) {
  const lines: Line[] = []
  const logger = createLogger('info', { destination: { write: (l: string) => { lines.push(JSON.parse(l) as Line) } }, pretty: false })
  const gaveUp: string[] = []
  const p = createWorkerPool({
    count,
    envFor: (i) => ({ POOL_WORKER_MODE: mode, WAYSTATION_WORKER: workerName(i) }),
    logger,
    stopTimeoutMs: extra.stopTimeoutMs ?? 30_000,
    restart: { baseDelayMs: 100, maxDelayMs: 300, maxCrashes: 4, windowMs: 60_000 },
    onGiveUp: (reason) => { gaveUp.push(reason) }
  })
  return { p, lines, gaveUp }
}

test('a crashing worker is restarted with growing delays, then given up on', async () => {
  const { p, lines, gaveUp } = pool('crash', 1)
  await p.start()
  await waitFor(() => gaveUp.length > 0, 'the give-up')
  expect(gaveUp).toEqual(['w1 crashed 4 times within 60000 ms'])
  // Three restarts, each delay double the last, capped; every line names the worker.
  expect(lines.filter((l) => l.msg.endsWith('restarting')).map((l) => [l.worker, l.delayMs])).toEqual([['w1', 100], ['w1', 200], ['w1', 300]])
  expect(lines.filter((l) => l.msg === 'worker restarted and ready')).toHaveLength(3)
  expect(lines.filter((l) => l.msg.endsWith('crashed too often, giving up'))).toHaveLength(1)
  await p.stop()
})

test('a worker that exits before its first ready fails the start instead of looping', async () => {
  const { p, lines } = pool('never-ready', 2)
  await expect(p.start()).rejects.toThrow(/exited with code 3 before it was ready/)
  await p.stop()
  expect(lines.filter((l) => l.msg.endsWith('restarting'))).toEqual([])
})

test('stop waits for every worker to drain and reports their exit codes', async () => {
  const ok = pool('drain', 2)
  await ok.p.start()
  await ok.p.stop()
  expect(ok.p.failedExits()).toBe(0)
  expect(ok.lines.filter((l) => l.msg === 'worker stopped').map((l) => [l.worker, l.code]).sort()).toEqual([['w1', 0], ['w2', 0]])

  const failing = pool('drain-fail', 2)
  await failing.p.start()
  await failing.p.stop()
  expect(failing.p.failedExits()).toBe(2)
})

test('a worker that does not drain in time is killed', async () => {
  const { p, lines } = pool('stuck', 1, { stopTimeoutMs: 500 })
  await p.start()
  await p.stop()
  expect(lines.filter((l) => l.msg === 'worker did not stop in time: killing it')).toHaveLength(1)
  expect(p.failedExits()).toBe(1)
})
