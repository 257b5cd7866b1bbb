// Finds (installing on Debian when we are root), configures, starts and stops a
// private InfluxDB 1.x server. Used by the demo and by the vitest global setup, so
// every server gets its own data dir and its own ports and never touches /etc.
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { access, mkdir, open, readFile, rm, stat, writeFile, constants } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join, delimiter, resolve } from 'node:path'
import { once } from 'node:events'

export type InfluxServer = { url: string, pid: number, dataDir: string, stop (): Promise<void> }
export type StartInfluxOptions = {
  dataDir: string // config file, meta, data, wal and log all live under it
  port?: number // HTTP port on 127.0.0.1; default: a free port chosen by the OS
  log?: (line: string) => void // progress messages for humans
  startTimeoutMs?: number // default 30 s
}
type Log = (line: string) => void

const ZONEINFO_PROBE = '/usr/share/zoneinfo/Asia/Shanghai'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const run = (cmd: string, args: string[]) => new Promise<{ code: number, out: string }>((res) => {
  execFile(cmd, args, (err, stdout) => res({ code: err ? Number(err.code) || 1 : 0, out: stdout }))
})
const isExecutable = (p: string) => access(p, constants.X_OK).then(() => true, () => false)

export async function findInfluxd (): Promise<string | null> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
  for (const candidate of [...dirs.map((d) => join(d, 'influxd')), '/usr/bin/influxd', '/usr/sbin/influxd']) {
    if (!await isExecutable(candidate)) continue
    // An InfluxDB 2.x influxd on PATH has no `run -config`: skip it rather than fail later.
    const { out } = await run(candidate, ['version'])
    if (/v1\.\d/.test(out)) return candidate
  }
  return null
}

function manualInstallError (reason: string): Error {
  return new Error(`influxd (InfluxDB 1.x) is not installed and cannot be installed automatically (${reason}). Either:\n` +
    '  - Debian/Ubuntu: sudo apt-get install influxdb\n' +
    '  - or set INFLUX_URL to an existing InfluxDB 1.8+ / 2.x (1.x compatibility API) server, e.g. INFLUX_URL=http://127.0.0.1:8086\n' +
    '  - or Docker: docker run -d -p 8086:8086 influxdb:1.8')
}

function aptGet (args: string[], log: Log): Promise<{ code: number, out: string }> {
  return new Promise((res, rej) => {
    // Lock timeout: another process (a parallel test run) may be installing too.
    const child = spawn('apt-get', ['-o', 'DPkg::Lock::Timeout=120', ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    let partial = ''
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      // dpkg redraws its progress with \r: split on both, drop the percentage noise.
      const lines = (partial + chunk.toString()).split(/\r\n|\r|\n/)
      partial = lines.pop() ?? ''
      for (const l of lines) if (l.trim() && !/^\(Reading database \.\.\. ?(\d+%)?$/.test(l)) log(`apt: ${l}`)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', rej)
    child.on('close', (code) => { if (partial.trim()) log(`apt: ${partial}`); res({ code: code ?? 1, out }) })
  })
}

async function aptInstall (packages: string[], log: Log): Promise<void> {
  if (process.getuid?.() !== 0) throw manualInstallError('not running as root')
  if (!existsSync('/etc/debian_version') || (await run('sh', ['-c', 'command -v apt-get'])).code !== 0) {
    throw manualInstallError('not a Debian/Ubuntu system with apt-get')
  }
  // Without this, the package's postinst starts its own influxd on 8086/8088 (and a
  // failing start makes the whole install fail). Exit 101 = "action forbidden".
  const policy = '/usr/sbin/policy-rc.d'
  const createdPolicy = !existsSync(policy)
  if (createdPolicy) await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 })
  const before = new Set((await run('pgrep', ['-x', 'influxd'])).out.split('\n').filter(Boolean))
  try {
    const install = ['install', '-y', '--no-install-recommends', ...packages]
    log(`installing ${packages.join(' ')} with apt-get (one-time, as root)…`)
    let result = await aptGet(install, log)
    if (result.code !== 0 && /Unable to locate package|has no installation candidate|Failed to fetch|404\s+Not Found|Unable to fetch/i.test(result.out)) {
      log('package lists look missing or stale: running apt-get update once')
      await aptGet(['update'], log)
      result = await aptGet(install, log)
    }
    if (result.code !== 0) {
      throw new Error(`apt-get install ${packages.join(' ')} failed (exit ${result.code}):\n${result.out.split('\n').slice(-20).join('\n')}`)
    }
  } finally {
    if (createdPolicy) await rm(policy, { force: true })
  }
  const started = (await run('pgrep', ['-x', 'influxd'])).out.split('\n').filter((p) => p && !before.has(p))
  if (started.length) log(`warning: the influxdb package started its own influxd (pid ${started.join(', ')}); leaving it alone, we do not use it`)
}

let installing: Promise<string> | undefined
export function ensureInfluxdInstalled (log: Log = () => {}): Promise<string> {
  // Memoised so servers started concurrently in one process share one apt-get run.
  installing ??= (async () => {
    const found = await findInfluxd()
    const tzMissing = !existsSync(ZONEINFO_PROBE)
    if (!found) {
      await aptInstall(tzMissing ? ['influxdb', 'tzdata'] : ['influxdb'], log)
    } else if (tzMissing) {
      // The server runs fine without it; only tz() queries fail, so warn, don't throw.
      await aptInstall(['tzdata'], log).catch(() => {
        log(`warning: ${ZONEINFO_PROBE} is missing, so tz() queries will fail: sudo apt-get install tzdata`)
      })
    }
    const bin = found ?? await findInfluxd()
    if (!bin) throw manualInstallError('apt-get reported success but influxd is still not found')
    return bin
  })()
  installing.catch(() => { installing = undefined }) // let a later call retry
  return installing
}

// Listen and close at once: port 0 asks the OS for a free port, a taken port rejects.
function probePort (port: number): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once('error', rej)
    srv.listen(port, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo
      srv.close(() => res(port))
    })
  })
}

function configToml (dataDir: string, httpPort: number, rpcPort: number): string {
  const q = (s: string) => JSON.stringify(s)
  const off = ['udp', 'graphite', 'collectd', 'opentsdb'].map((s) => `[[${s}]]\n  enabled = false\n`).join('\n')
  return `# Generated by scripts/influxd.ts; rewritten on every start.
# Upstream key, and Debian's patched inverse of it: unknown keys are ignored.
reporting-disabled = true
reporting-enabled = false
# RPC/backup service; its default 8088 would clash between parallel servers.
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = ${q(join(dataDir, 'meta'))}

[data]
  dir = ${q(join(dataDir, 'data'))}
  wal-dir = ${q(join(dataDir, 'wal'))}
  index-version = "tsi1"
  query-log-enabled = false

[http]
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false

[logging]
  level = "warn"
  suppress-logo = true

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = true
  log-enabled = false

[subscriber]
  enabled = false

${off}`
}

async function tailFrom (file: string, offset: number, lines = 20): Promise<string> {
  const text = (await readFile(file)).subarray(offset).toString()
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

async function launch (bin: string, dataDir: string, httpPort: number, rpcPort: number, timeoutMs: number): Promise<{ child: ChildProcess, logOffset: number, logFile: string }> {
  const configFile = join(dataDir, 'influxdb.conf')
  const logFile = join(dataDir, 'influxd.log')
  await writeFile(configFile, configToml(dataDir, httpPort, rpcPort))
  const logOffset = await stat(logFile).then((s) => s.size, () => 0)
  const fh = await open(logFile, 'a')
  // INFLUXDB_* variables override the config file; drop them so the file is the truth.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUXDB_')))
  // Own process group: a Ctrl-C in the terminal signals the whole foreground group, and
  // influxd must outlive the ingest flush that shutdown performs; we stop it last.
  const child = spawn(bin, ['run', '-config', configFile], { detached: true, env, stdio: ['ignore', fh.fd, fh.fd] })
  await fh.close()
  // Synchronous last resort (also while still starting) so a crashing test run or an
  // interrupted demo leaves no orphan server behind.
  const killOnExit = () => { child.kill('SIGKILL') }
  process.on('exit', killOnExit)
  child.once('exit', () => process.off('exit', killOnExit))
  let exited = false
  let spawnError: Error | undefined
  child.once('exit', () => { exited = true })
  child.once('error', (err) => { spawnError = err })
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`cannot run ${bin}: ${spawnError.message}`)
    if (exited) return { child, logOffset, logFile }
    const ok = await fetch(`http://127.0.0.1:${httpPort}/ping`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.status === 204, () => false)
    // Re-check exit: a /ping answer could come from another server that won a port race.
    if (ok) { await sleep(50); return { child, logOffset, logFile } }
    await sleep(100)
  }
  child.kill('SIGKILL')
  throw new Error(`influxd did not answer /ping on port ${httpPort} within ${timeoutMs} ms; log (${logFile}):\n${await tailFrom(logFile, logOffset)}`)
}

export async function startInfluxd (opts: StartInfluxOptions): Promise<InfluxServer> {
  const log = opts.log ?? (() => {})
  const dataDir = resolve(opts.dataDir)
  const bin = await ensureInfluxdInstalled(log)
  for (const sub of ['meta', 'data', 'wal']) await mkdir(join(dataDir, sub), { recursive: true })
  if (opts.port) {
    await probePort(opts.port).catch((err: Error) => {
      throw new Error(`cannot start InfluxDB on 127.0.0.1:${opts.port}: port already in use (${err.message}); pick another port or omit it to get a free one`)
    })
  }
  const started = Date.now()
  let attempt = 0
  for (;;) {
    const httpPort = opts.port || await probePort(0) // 0 means "any", as for listen()
    let rpcPort = await probePort(0)
    while (rpcPort === httpPort) rpcPort = await probePort(0)
    const { child, logOffset, logFile } = await launch(bin, dataDir, httpPort, rpcPort, opts.startTimeoutMs ?? 30_000)
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = await tailFrom(logFile, logOffset)
      // Free ports are only free until someone else grabs them: retry once with new ones.
      if (/address already in use/i.test(tail) && attempt++ === 0) { log('influxd port race, retrying with new ports'); continue }
      throw new Error(`influxd exited early (code ${child.exitCode ?? child.signalCode}); last log lines (${logFile}):\n${tail}`)
    }
    let stopping: Promise<void> | undefined
    const url = `http://127.0.0.1:${httpPort}`
    log(`influxd ${child.pid} started on ${url} in ${Date.now() - started} ms (data: ${dataDir})`)
    return {
      url,
      pid: child.pid!,
      dataDir,
      stop () {
        stopping ??= (async () => {
          if (child.exitCode !== null || child.signalCode !== null) return
          const exited = once(child, 'exit')
          child.kill('SIGTERM')
          // A clearable timer: a dangling 10 s sleep would keep the caller's process alive.
          let timer: NodeJS.Timeout | undefined
          const timedOut = new Promise<boolean>((res) => { timer = setTimeout(res, 10_000, true) })
          if (await Promise.race([exited.then(() => false), timedOut])) { child.kill('SIGKILL'); await exited }
          clearTimeout(timer)
        })()
        return stopping
      }
    }
  }
}

if (import.meta.main) {
  const dataDir = process.argv[2] ?? join(import.meta.dirname, '..', '.data', 'influxdb')
  const port = process.argv[3] ? Number(process.argv[3]) : undefined
  let server: InfluxServer | undefined
  // Handlers go in first: a signal during startup must still run the 'exit' cleanup.
  const shutdown = () => { (server?.stop() ?? Promise.resolve()).then(() => process.exit(0), () => process.exit(1)) }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
  server = await startInfluxd({ dataDir, port, log: (line) => console.error(line) })
  console.log(server.url)
}
