// Finds (installing Debian's `postgresql` when we are root), initialises, starts and stops a
// private PostgreSQL server for the registry (issue 15, item 3). Like scripts/redis-server.ts:
// its own data dir, its own loopback port, its unix socket in the data dir; it never touches
// /etc/postgresql, the cluster Debian's package creates, or a system service.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chown, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { aptInstall, isExecutable, launchServer, manualInstallError, probePort, run, stopChild, tailFrom, type Log } from './system.ts'

export type PostgresServer = {
  url: string // postgres://user:password@127.0.0.1:port/database, for the app (password auth over TCP)
  adminUrl: string // superuser over the unix socket (no password; only root and the server's user can reach it)
  host: string, port: number, socketDir: string, pid: number, dataDir: string, version: number
  stop (): Promise<void>
}
export type StartPostgresOptions = {
  dataDir: string // cluster (pgdata/), socket, password file and log live under it; reused on the next start
  port?: number // TCP port on 127.0.0.1; default: a free port chosen by the OS
  database?: string // created when missing, owned by user; default waystation
  user?: string // login role with CREATEDB (tests create a database per file); default waystation
  // false for throw-away test servers: no fsync at all (initdb -N, fsync=off …), a crash may
  // lose or corrupt the data, which nobody keeps anyway.
  durable?: boolean
  log?: (line: string) => void
  startTimeoutMs?: number // default 60 s
  signal?: AbortSignal // gives up the start (kills initdb, stops a server already launched)
}

const HOST = '127.0.0.1'
const WHAT = 'PostgreSQL'
const SUPERUSER = 'postgres'
const MANUAL_HINT = '  - Debian/Ubuntu: sudo apt-get install postgresql\n' +
  '  - or point REGISTRY_URL at an existing server (docs/scaling.md "Registry on PostgreSQL")\n' +
  '  - or Docker: docker run -d -p 5432:5432 -e POSTGRES_PASSWORD=… postgres:15'
// Fast shutdown (SIGINT): roll back open transactions, disconnect clients, checkpoint. SIGTERM
// would be "smart" shutdown, which waits for every client (a pool) to go away on its own.
const STOP_SIGNAL = 'SIGINT'
const STOP_GRACE_MS = 30_000

type BinDir = { dir: string, version: number }

// Debian installs each major version side by side under /usr/lib/postgresql/<major>/bin and puts
// neither postgres nor initdb on PATH. Newest first; PG_BIN_DIR overrides (a source build).
export async function findPostgresBinDirs (): Promise<BinDir[]> {
  const dirs: string[] = process.env.PG_BIN_DIR ? [process.env.PG_BIN_DIR] : []
  const root = '/usr/lib/postgresql'
  for (const v of await readdir(root).catch(() => [] as string[])) dirs.push(join(root, v, 'bin'))
  const found: BinDir[] = []
  for (const dir of dirs) {
    if (!await isExecutable(join(dir, 'postgres')) || !await isExecutable(join(dir, 'initdb'))) continue
    const m = /\(PostgreSQL\) (\d+)/.exec((await run(join(dir, 'postgres'), ['--version'])).out)
    if (m) found.push({ dir, version: Number(m[1]) })
  }
  return process.env.PG_BIN_DIR ? found : found.sort((a, b) => b.version - a.version)
}

let installing: Promise<BinDir[]> | undefined
export function ensurePostgresInstalled (log: Log = () => {}): Promise<BinDir[]> {
  // Memoised so servers started concurrently in one process share one apt-get run.
  installing ??= (async () => {
    const found = await findPostgresBinDirs()
    if (found.length) return found
    // policy-rc.d (aptInstall) keeps the package's own cluster from starting on port 5432.
    await aptInstall(['postgresql'], log, { what: WHAT, manualHint: MANUAL_HINT, processName: 'postgres' })
    const again = await findPostgresBinDirs()
    if (!again.length) throw manualInstallError(WHAT, 'apt-get reported success but no /usr/lib/postgresql/*/bin/postgres was found', MANUAL_HINT)
    return again
  })()
  installing.catch(() => { installing = undefined }) // let a later call retry
  return installing
}

// postgres refuses to run as root ("root" execution of the PostgreSQL server is not permitted):
// as root we run it as Debian's `postgres` user, or nobody, owning the data dir.
async function serverUser (): Promise<{ uid: number, gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined
  for (const name of ['postgres', 'nobody']) {
    const uid = await run('id', ['-u', name])
    const gid = await run('id', ['-g', name])
    if (uid.code === 0 && gid.code === 0) return { uid: Number(uid.out), gid: Number(gid.out) }
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as (it refuses to run as root)')
}

// initdb runs the bootstrap backend as its child: both go in a process group of their own so
// that an abort can kill the two at once (a SIGTERM makes initdb first delete what it wrote).
function runAs (bin: string, args: string[], as: { uid: number, gid: number } | undefined, signal?: AbortSignal): Promise<{ code: number, out: string }> {
  return new Promise((res) => {
    const child = spawn(bin, args, { uid: as?.uid, gid: as?.gid, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString() })
    const abort = () => { try { process.kill(-child.pid!, 'SIGKILL') } catch {} }
    signal?.addEventListener('abort', abort, { once: true })
    child.once('error', (err) => { signal?.removeEventListener('abort', abort); res({ code: 1, out: err.message }) })
    child.once('close', (code, sig) => { signal?.removeEventListener('abort', abort); res({ code: code ?? (sig ? 1 : 0), out }) })
  })
}

// The socket answers and takes queries (not "the database system is starting up").
async function ready (socketDir: string, port: number): Promise<boolean> {
  const client = new pg.Client({ host: socketDir, port, user: SUPERUSER, database: 'postgres', connectionTimeoutMillis: 1000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`

async function ensureRoleAndDatabase (socketDir: string, port: number, user: string, password: string, database: string): Promise<void> {
  const client = new pg.Client({ host: socketDir, port, user: SUPERUSER, database: 'postgres' })
  await client.connect()
  try {
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])
    // The password follows the file on every start (someone may have deleted the file).
    await client.query(`${role.rowCount ? 'ALTER' : 'CREATE'} ROLE ${ident(user)} LOGIN CREATEDB PASSWORD ${literal(password)}`)
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])
    if (!db.rowCount) await client.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(user)}`)
  } finally {
    await client.end()
  }
}

export async function startPostgres (opts: StartPostgresOptions): Promise<PostgresServer> {
  const log = opts.log ?? (() => {})
  const dataDir = resolve(opts.dataDir)
  const pgdata = join(dataDir, 'pgdata')
  const logFile = join(dataDir, 'postgres.log')
  const passwordFile = join(dataDir, 'password')
  const database = opts.database ?? 'waystation'
  const user = opts.user ?? 'waystation'
  const durable = opts.durable ?? true
  const timeoutMs = opts.startTimeoutMs ?? 60_000
  const started = Date.now()
  opts.signal?.throwIfAborted()
  const bins = await ensurePostgresInstalled(log)
  const as = await serverUser()
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  if (as) await chown(dataDir, as.uid, as.gid)
  if (opts.port) {
    await probePort(opts.port).catch((err: Error) => {
      throw new Error(`cannot start PostgreSQL on ${HOST}:${opts.port}: port already in use (${err.message}); pick another port or omit it to get a free one`)
    })
  }

  // An existing cluster needs the binaries of its own major version.
  const existing = await readFile(join(pgdata, 'PG_VERSION'), 'utf8').then((v) => Number(v.trim()), () => undefined)
  const bin = existing === undefined ? bins[0]! : bins.find((b) => b.version === existing)
  if (!bin) throw new Error(`${pgdata} holds a PostgreSQL ${existing} cluster, but only ${bins.map((b) => b.version).join(', ')} is installed: install postgresql-${existing} or move the data dir away`)
  if (existing === undefined) {
    // C collation: text sorts by code point as in SQLite, whatever the machine's locale.
    const args = ['-D', pgdata, '-U', SUPERUSER, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C']
    if (!durable) args.push('--no-sync')
    const init = await runAs(join(bin.dir, 'initdb'), args, as, opts.signal)
    opts.signal?.throwIfAborted()
    if (init.code !== 0) throw new Error(`initdb ${pgdata} failed (exit ${init.code}):\n${init.out.trim().split('\n').slice(-15).join('\n')}`)
    log(`initdb: PostgreSQL ${bin.version} cluster in ${pgdata} (${Date.now() - started} ms)`)
  }
  let password = existsSync(passwordFile) ? (await readFile(passwordFile, 'utf8')).trim() : ''
  if (!password) {
    password = randomBytes(18).toString('base64url')
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 })
  }

  const settings = {
    listen_addresses: HOST,
    unix_socket_directories: dataDir,
    logging_collector: 'off', // stderr into our log file, not a log dir of its own
    ...(durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' })
  }
  let attempt = 0
  for (;;) {
    const port = opts.port || await probePort(0) // 0 means "any", as for listen()
    const args = ['-D', pgdata, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])]
    const { child, logOffset, outcome } = await launchServer(join(bin.dir, 'postgres'), args, {
      logFile, uid: as?.uid, gid: as?.gid, ready: () => ready(dataDir, port), timeoutMs
    })
    if (outcome === 'timeout') {
      throw new Error(`PostgreSQL did not accept connections on port ${port} within ${timeoutMs} ms; log (${logFile}):\n${await tailFrom(logFile, logOffset)}`)
    }
    if (outcome === 'exited') {
      const tail = await tailFrom(logFile, logOffset)
      // Free ports are only free until someone else grabs them: retry once with a new one.
      if (!opts.port && /could not bind|address already in use/i.test(tail) && attempt++ === 0) { log('postgres port race, retrying with a new port'); continue }
      throw new Error(`postgres exited early (code ${child.exitCode ?? child.signalCode}); last log lines (${logFile}):\n${tail}`)
    }
    const stop = () => stopChild(child, STOP_GRACE_MS, STOP_SIGNAL)
    try {
      opts.signal?.throwIfAborted()
      await ensureRoleAndDatabase(dataDir, port, user, password, database)
    } catch (err) {
      await stop()
      throw err
    }
    const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${port}/${encodeURIComponent(database)}`
    const adminUrl = `postgres://${SUPERUSER}@/postgres?host=${encodeURIComponent(dataDir)}&port=${port}`
    log(`postgres ${child.pid} (PostgreSQL ${bin.version}) started on ${HOST}:${port} in ${Date.now() - started} ms (data: ${dataDir})`)
    return { url, adminUrl, host: HOST, port, socketDir: dataDir, pid: child.pid!, dataDir, version: bin.version, stop }
  }
}

if (import.meta.main) {
  const dataDir = process.argv[2] ?? join(import.meta.dirname, '..', '.data', 'postgres')
  const port = process.argv[3] ? Number(process.argv[3]) : undefined
  let server: PostgresServer | undefined
  // Handlers go in first: a signal during startup must still run the 'exit' cleanup.
  const shutdown = () => { (server?.stop() ?? Promise.resolve()).then(() => process.exit(0), () => process.exit(1)) }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
  server = await startPostgres({ dataDir, port, log: (line) => console.error(line) })
  console.log(server.url)
}
