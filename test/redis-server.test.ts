// Starts real private redis-server processes (installing the Debian package if needed) and
// checks what the broker's persistent sessions rely on: data survives a stop and restart
// (append-only file), parallel servers do not clash, stop leaves no process behind.
import { test, expect } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { ping, startRedis, type RedisServer } from '../scripts/redis-server.ts'

function isAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

// No reconnect loop: a client left behind by a failing test must not keep the worker alive.
async function withClient<T> (server: RedisServer, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(server.url, { retryStrategy: () => null, maxRetriesPerRequest: 1 })
  try {
    return await fn(client)
  } finally {
    await client.quit().catch(() => client.disconnect())
  }
}

async function withServers (count: number, fn: (servers: RedisServer[], dirs: string[]) => Promise<void>): Promise<void> {
  const dirs = await Promise.all(Array.from({ length: count }, () => mkdtemp(join(tmpdir(), 'waystation-redis-'))))
  const started = await Promise.allSettled(dirs.map((dataDir) => startRedis({ dataDir })))
  const servers = started.flatMap((r) => r.status === 'fulfilled' ? [r.value] : [])
  try {
    for (const r of started) if (r.status === 'rejected') throw r.reason
    await fn(servers, dirs)
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  }
}

test('starts, answers PING, keeps data across a stop and restart', { timeout: 120_000 }, async () => {
  await withServers(1, async ([first], [dataDir]) => {
    const s = first!
    expect(s.url).toBe(`redis://127.0.0.1:${s.port}`)
    expect(s.host).toBe('127.0.0.1')
    expect(isAlive(s.pid)).toBe(true)
    expect(await ping(s.port)).toBe(true)

    await withClient(s, async (client) => {
      expect(await client.ping()).toBe('PONG')
      expect(await client.set('session:abc', 'subscriptions')).toBe('OK')
      expect(await client.get('session:abc')).toBe('subscriptions')
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes'])
    })

    const pid = s.pid
    await s.stop()
    await s.stop() // idempotent
    expect(isAlive(pid)).toBe(false)
    expect(await ping(s.port)).toBe(false)

    // Same dir and port, as after a reboot: the key comes back from the append-only file.
    const again = await startRedis({ dataDir: dataDir!, port: s.port })
    try {
      expect(again.pid).not.toBe(pid)
      expect(again.url).toBe(s.url)
      await withClient(again, async (client) => {
        expect(await client.get('session:abc')).toBe('subscriptions')
      })
    } finally {
      await again.stop()
    }
    expect(isAlive(again.pid)).toBe(false)
  })
})

test('two servers at once get separate ports and data', { timeout: 120_000 }, async () => {
  await withServers(2, async ([a, b]) => {
    expect(a!.port).not.toBe(b!.port)
    expect(a!.pid).not.toBe(b!.pid)
    await withClient(a!, (client) => client.set('only_a', '1'))
    await withClient(b!, async (client) => {
      expect(await client.get('only_a')).toBeNull()
    })
  })
})

test('refuses a port that is already taken', { timeout: 120_000 }, async () => {
  await withServers(1, async ([a]) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'waystation-redis-'))
    try {
      await expect(startRedis({ dataDir, port: a!.port })).rejects.toThrow(/already in use/)
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
