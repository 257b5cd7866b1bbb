// The cluster lease (cluster/lease.ts) with real processes and a real redis-server: a job under
// a lease runs in exactly one of the competing processes, another takes over when the holder is
// SIGKILLed (after the TTL) or shuts down (at once), and a holder that can no longer renew stops
// its job by itself before anyone else may start it.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { leaseKey } from '../cluster/lease.ts'
import { runLeased } from '../cluster/run-leased.ts'
import { createLogger } from '../platform/logger.ts'
import { startRedis, type RedisServer } from '../scripts/redis-server.ts'

const TTL_MS = 1500
const script = join(import.meta.dirname, 'support', 'lease-holder.ts')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (cond: () => boolean | Promise<boolean>, what: string, ms = 60_000) => {
  for (const end = Date.now() + ms; Date.now() < end;) { if (await cond()) return; await sleep(25) }
  throw new Error(`timed out waiting for ${what}`)
}

type Holder = { child: ChildProcess, name: string, lines: string[], fences: () => number[], exited: Promise<unknown> }
function spawnHolder (url: string, lease: string): Holder {
  const child = spawn(process.execPath, [script, url, lease, String(TTL_MS)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l))
  const exited = new Promise((r) => child.once('exit', r))
  return { child, name: `holder-${child.pid}`, lines, exited, fences: () => lines.filter((l) => l.startsWith('acquired ')).map((l) => Number(l.split(' ')[1])) }
}

let dir: string
let redis: RedisServer
let client: Redis
const children: ChildProcess[] = []
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-lease-'))
  redis = await startRedis({ dataDir: join(dir, 'redis') })
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 })
}, 180_000)
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await client?.quit()
  await redis?.stop()
  await rm(dir, { recursive: true, force: true })
})

const ticks = async (lease: string, h: Holder) => Number(await client.get(`test:ticks:${lease}:${h.name}`) ?? 0)

test('two processes: the job runs in one; SIGKILL the holder and the other takes over after the TTL with a larger fence', { timeout: 120_000 }, async () => {
  const lease = 'kill'
  const a = spawnHolder(redis.url, lease)
  const b = spawnHolder(redis.url, lease)
  children.push(a.child, b.child)
  await waitFor(() => a.lines.includes(`ready ${a.name}`) && b.lines.includes(`ready ${b.name}`), 'both holders up')
  await waitFor(() => a.fences().length + b.fences().length === 1, 'one holder')
  const [first, second] = a.fences().length === 1 ? [a, b] : [b, a]
  // Several renewal periods with both alive: still one holder, and only it has done any work.
  await sleep(TTL_MS * 2)
  expect(first.fences().length + second.fences().length).toBe(1)
  expect(await ticks(lease, first)).toBeGreaterThan(0)
  expect(await ticks(lease, second)).toBe(0)
  expect(await client.get(leaseKey(lease))).toMatch(new RegExp(`^${first.name}:`))

  first.child.kill('SIGKILL')
  await first.exited
  const killedAt = Date.now()
  await waitFor(() => second.fences().length === 1, 'take-over')
  // Generous bound: the TTL plus a renewal period, plus slack for a loaded machine.
  expect(Date.now() - killedAt).toBeLessThan(TTL_MS * 10)
  expect(second.fences()[0]).toBeGreaterThan(first.fences()[0]!)
  await waitFor(async () => await ticks(lease, second) > 0, 'the new holder working')
  second.child.kill('SIGTERM')
  await second.exited
  expect(second.lines).toContain('stopped')
})

test('a holder that shuts down gives the lease back: the other takes it without waiting for the TTL', { timeout: 120_000 }, async () => {
  const lease = 'graceful'
  const a = spawnHolder(redis.url, lease)
  children.push(a.child)
  await waitFor(() => a.fences().length === 1, 'a holds')
  const b = spawnHolder(redis.url, lease)
  children.push(b.child)
  await waitFor(() => b.lines.includes(`ready ${b.name}`), 'b up')
  a.child.kill('SIGTERM')
  await a.exited
  expect(a.lines).toContain('stopped')
  // a's holding is gone the moment a has exited: nothing left to expire. (b may already have
  // taken the lease by now: on a loaded machine that is what made an exists() check flaky.)
  expect((await client.get(leaseKey(lease)))?.split(':')[0]).not.toBe(a.name)
  await waitFor(() => b.fences().length === 1, 'b takes over')
  expect(b.fences()[0]).toBeGreaterThan(a.fences()[0]!)
  b.child.kill('SIGTERM')
  await b.exited
})

test('a holder whose lease was taken over, or which cannot reach Redis, stops its job by itself', { timeout: 120_000 }, async () => {
  const own = await startRedis({ dataDir: join(dir, 'redis-own') })
  const conn = new Redis(own.url, { maxRetriesPerRequest: 0, retryStrategy: () => 200, enableOfflineQueue: false })
  conn.on('error', () => {})
  const logger = createLogger('silent')
  const events: string[] = []
  const start = (tag: string) => () => { events.push(`start ${tag}`); return { close: async () => { events.push(`stop ${tag}`) } } }
  try {
    const taken = runLeased({ redis: conn, name: 'stolen', holder: 'x', ttlMs: TTL_MS, logger, start: start('stolen') })
    await waitFor(() => taken.current() !== null, 'held')
    // Someone else's token in the key (as after an expiry and another node's SET NX).
    await conn.set(leaseKey('stolen'), 'other:token', 'PX', 60_000)
    await waitFor(() => taken.current() === null, 'the job stopped after losing the lease')
    expect(taken.lease.held()).toBe(false)
    expect(events).toEqual(['start stolen', 'stop stolen'])
    await taken.close()
    expect(await conn.get(leaseKey('stolen'))).toBe('other:token') // close never deletes another's holding

    const cut = runLeased({ redis: conn, name: 'cut', holder: 'x', ttlMs: TTL_MS, logger, start: start('cut') })
    await waitFor(() => cut.current() !== null, 'held')
    await own.stop() // Redis gone: no renewal can succeed
    const stoppedAt = Date.now()
    await waitFor(() => cut.current() === null, 'the job stopped without Redis')
    expect(cut.lease.held()).toBe(false)
    expect(Date.now() - stoppedAt).toBeLessThan(TTL_MS * 10)
    expect(events.slice(2)).toEqual(['start cut', 'stop cut'])
    await cut.close()
  } finally {
    conn.disconnect()
    await own.stop()
  }
})
