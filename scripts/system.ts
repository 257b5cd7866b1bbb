// Machinery shared by the scripts that run private copies of system servers (influxd,
// redis-server): find a binary, install its Debian package when we are root, pick free
// loopback ports, spawn with a log file, and stop without leaving orphans behind.
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { access, open, readFile, rm, stat, writeFile, constants } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join, delimiter } from 'node:path'
import { once } from 'node:events'

export type Log = (line: string) => void
export type AptInstallOptions = {
  manualHint: string // the other ways to get it, one "  - ..." line each, shown when apt cannot be used
  what?: string // the thing that is missing, for the error text; default: the package names
  processName?: string // a daemon the package may start on its own despite policy-rc.d
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export const run = (cmd: string, args: string[]) => new Promise<{ code: number, out: string }>((res) => {
  execFile(cmd, args, (err, stdout) => res({ code: err ? Number(err.code) || 1 : 0, out: stdout }))
})

export const isExecutable = (p: string) => access(p, constants.X_OK).then(() => true, () => false)

// PATH first, then the distribution's directories (root's PATH under sudo may lack sbin).
export async function findExecutable (name: string, extraDirs: string[], accept: (path: string) => Promise<boolean> = async () => true): Promise<string | null> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
  for (const candidate of [...dirs.map((d) => join(d, name)), ...extraDirs.map((d) => join(d, name))]) {
    if (await isExecutable(candidate) && await accept(candidate)) return candidate
  }
  return null
}

export function manualInstallError (what: string, reason: string, manualHint: string): Error {
  return new Error(`${what} is not installed and cannot be installed automatically (${reason}). Either:\n${manualHint}`)
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

const pids = async (name: string) => (await run('pgrep', ['-x', name])).out.split('\n').filter(Boolean)

export async function aptInstall (packages: string[], log: Log, opts: AptInstallOptions): Promise<void> {
  const fail = (reason: string) => manualInstallError(opts.what ?? packages.join(', '), reason, opts.manualHint)
  if (process.getuid?.() !== 0) throw fail('not running as root')
  if (!existsSync('/etc/debian_version') || (await run('sh', ['-c', 'command -v apt-get'])).code !== 0) {
    throw fail('not a Debian/Ubuntu system with apt-get')
  }
  // Without this, the package's postinst starts its own service on the default ports
  // (and a failing start makes the whole install fail). Exit 101 = "action forbidden".
  const policy = '/usr/sbin/policy-rc.d'
  const createdPolicy = !existsSync(policy)
  if (createdPolicy) await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 })
  const before = new Set(opts.processName ? await pids(opts.processName) : [])
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
  if (!opts.processName) return
  const started = (await pids(opts.processName)).filter((p) => !before.has(p))
  if (started.length) log(`warning: apt-get install ${packages.join(' ')} started its own ${opts.processName} (pid ${started.join(', ')}); leaving it alone, we do not use it`)
}

// Listen and close at once: port 0 asks the OS for a free port, a taken port rejects.
export function probePort (port: number): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once('error', rej)
    srv.listen(port, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo
      srv.close(() => res(port))
    })
  })
}

export async function tailFrom (file: string, offset: number, lines = 20): Promise<string> {
  const text = await readFile(file).then((b) => b.subarray(offset).toString(), () => '')
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

export type LaunchOptions = {
  logFile: string // stdout and stderr are appended here
  env?: NodeJS.ProcessEnv
  // Run as this user (we are root and the server refuses to run as root, as postgres does).
  uid?: number
  gid?: number
  ready: (child: ChildProcess) => Promise<boolean> // polled every 100 ms until true
  timeoutMs: number
}
export type Launched = { child: ChildProcess, logOffset: number, outcome: 'ready' | 'exited' | 'timeout' }

// Spawns a server and waits until `ready` says yes, the process exits (the caller reads the
// log from logOffset to decide why) or the time is up (then it has been killed).
export async function launchServer (bin: string, args: string[], opts: LaunchOptions): Promise<Launched> {
  const logOffset = await stat(opts.logFile).then((s) => s.size, () => 0)
  const fh = await open(opts.logFile, 'a')
  // Own process group: a Ctrl-C in the terminal signals the whole foreground group, and
  // the server must outlive the flush the app performs on shutdown; we stop it last.
  const child = spawn(bin, args, { detached: true, env: opts.env ?? process.env, stdio: ['ignore', fh.fd, fh.fd], uid: opts.uid, gid: opts.gid })
  let spawnError: Error | undefined
  child.once('error', (err) => { spawnError = err }) // before any await: it comes on the next tick
  await fh.close()
  // Synchronous last resort (also while still starting) so a crashing test run or an
  // interrupted demo leaves no orphan server behind.
  const killOnExit = () => { child.kill('SIGKILL') }
  process.on('exit', killOnExit)
  // A parent killed outright (SIGKILL, an unhandled signal) runs no exit handler: a watchdog
  // stops the server once the parent is gone, so no orphan keeps a port and a data directory.
  const watchdog = child.pid === undefined
    ? undefined
    : spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -TERM ${child.pid} 2>/dev/null`], { detached: true, stdio: 'ignore' })
  watchdog?.unref()
  child.once('exit', () => { process.off('exit', killOnExit); watchdog?.kill() })
  const exited = () => child.exitCode !== null || child.signalCode !== null
  const deadline = Date.now() + opts.timeoutMs
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`cannot run ${bin}: ${spawnError.message}`)
    if (exited()) return { child, logOffset, outcome: 'exited' }
    // Re-check exit after a yes: the answer could come from another server that won a port race.
    if (await opts.ready(child)) { await sleep(50); return { child, logOffset, outcome: exited() ? 'exited' : 'ready' } }
    await sleep(100)
  }
  child.kill('SIGKILL')
  return { child, logOffset, outcome: 'timeout' }
}

const stopping = new WeakMap<ChildProcess, Promise<void>>()

// SIGTERM (or the server's own "stop now" signal), then SIGKILL if it is still running after
// graceMs. Safe to call repeatedly.
export function stopChild (child: ChildProcess, graceMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  let p = stopping.get(child)
  if (!p) {
    p = (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill(signal)
      // A clearable timer: a dangling grace-period sleep would keep the caller's process alive.
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<boolean>((res) => { timer = setTimeout(res, graceMs, true) })
      if (await Promise.race([exited.then(() => false), timedOut])) { child.kill('SIGKILL'); await exited }
      clearTimeout(timer)
    })()
    stopping.set(child, p)
  }
  return p
}
