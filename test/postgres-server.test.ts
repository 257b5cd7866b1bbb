// Starts a real private PostgreSQL (scripts/postgres-server.ts; installs Debian's postgresql
// when missing and we are root) and checks what the registry relies on: password login over
// TCP, the superuser only over the unix socket, C collation, the server never running as root,
// data kept across a stop and restart, stop leaving no process behind.
import { execSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import { join } from 'node:path'
import pg from 'pg'
import { expect, test } from 'vitest'
import { startPostgres } from '../scripts/postgres-server.ts'

function isAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

async function query<T extends pg.QueryResultRow> (url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

test('starts, logs in with a password, keeps data across a stop and restart, stops cleanly', { timeout: 180_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'waystation-pg-'))
  try {
    const s = await startPostgres({ dataDir, durable: false })
    const pid = s.pid
    try {
      expect(s.url).toMatch(new RegExp(`^postgres://waystation:[^@]+@127\\.0\\.0\\.1:${s.port}/waystation$`))
      expect(await query(s.url, 'SELECT current_user AS u, current_database() AS d')).toEqual([{ u: 'waystation', d: 'waystation' }])
      // Text sorts by code point as in SQLite, whatever the machine's locale.
      expect(await query(s.url, "SELECT datcollate FROM pg_database WHERE datname = 'waystation'")).toEqual([{ datcollate: 'C' }])
      await query(s.url, "CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('survives')")

      // A wrong password is refused over TCP: host connections need scram-sha-256.
      const wrong = s.url.replace(/:[^:@]+@/, ':wrong@')
      await expect(query(wrong, 'SELECT 1')).rejects.toThrow(/password authentication failed/)
      // The superuser needs no password, but only over the socket in the 0700 data dir.
      expect(await query(s.adminUrl, 'SELECT current_user AS u')).toEqual([{ u: 'postgres' }])
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
      await expect(query(`postgres://postgres@127.0.0.1:${s.port}/postgres`, 'SELECT 1')).rejects.toThrow(/password/)

      // postgres refuses root; as root we run it as another user.
      const uid = /^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]
      expect(Number(uid)).not.toBe(0)
    } finally {
      await s.stop()
    }
    await s.stop() // idempotent
    expect(isAlive(pid)).toBe(false)

    // Same data dir, as after a reboot: same password, the table is still there.
    const again = await startPostgres({ dataDir, durable: false })
    try {
      expect(again.url.replace(`:${again.port}/`, ':P/')).toBe(s.url.replace(`:${s.port}/`, ':P/'))
      expect(await query(again.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives' }])
    } finally {
      await again.stop()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
})

test('a port in use is refused with a clear message', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'waystation-pg-'))
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  const port = (taken.address() as { port: number }).port
  try {
    await expect(startPostgres({ dataDir, port, durable: false })).rejects.toThrow(`cannot start PostgreSQL on 127.0.0.1:${port}: port already in use`)
  } finally {
    taken.close()
    await rm(dataDir, { recursive: true, force: true })
  }
})

test('an aborted start gives up at once and leaves no process behind', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'waystation-pg-'))
  const abort = new AbortController()
  try {
    const start = startPostgres({ dataDir, durable: false, signal: abort.signal })
    // Wait until initdb runs (as root: as the postgres user), then abort in the middle of it.
    const deadline = Date.now() + 30_000
    const initdbRunning = async () => execSync(`pgrep -f '[i]nitdb -D ${dataDir}' || true`).toString().trim() !== ''
    while (!await initdbRunning() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    abort.abort()
    await expect(start).rejects.toThrow(/aborted/)
    expect(await initdbRunning()).toBe(false)
  } finally {
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 })
  }
})
