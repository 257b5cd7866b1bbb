import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, readdirSync, readFileSync } from 'node:fs'
import { connect, createServer, type AddressInfo } from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'

// Child processes for benchmarks: every system under test and every load generator runs in
// its own process, so its CPU and memory can be read from /proc, and the orchestrator (this
// process) stays idle while measuring.

export const NODE = process.execPath
export const ROOT = new URL('../../', import.meta.url).pathname
const CLK_TCK = 100 // Linux USER_HZ; /proc/<pid>/stat times are in these ticks
const PAGE = 4096

export type Proc = { name: string, child: ChildProcess, pid: number, log: string, exited: Promise<number> }

export function start (name: string, cmd: string, args: string[], opts: { env?: Record<string, string>, log: string, cwd?: string }): Proc {
  const fd = openSync(opts.log, 'a')
  const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', fd, fd] })
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))))
  const kill = () => { child.kill('SIGKILL') }
  process.on('exit', kill)
  void exited.then(() => process.off('exit', kill))
  return { name, child, pid: child.pid!, log: opts.log, exited }
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stop (p: Proc | undefined, graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return
  p.child.kill(signal)
  const t = sleep(graceMs, 'timeout')
  if (await Promise.race([p.exited, t]) === 'timeout') { p.child.kill('SIGKILL'); await p.exited }
}

export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address() as AddressInfo; srv.close(() => resolve(port)) })
  })
}

/** Resolves when something accepts TCP connections on the port. */
export async function waitForPort (port: number, p: Proc, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode}; log: ${p.log}\n${tail(p.log)}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await sleep(100)
  }
  throw new Error(`${p.name} did not listen on ${port} within ${timeoutMs} ms; log: ${p.log}`)
}

/** Resolves with the first log line matching `re`. */
export async function waitForLine (p: Proc, re: RegExp, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const line = readFileSync(p.log, 'utf8').split('\n').find((l) => re.test(l))
    if (line !== undefined) return line
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited with ${p.child.exitCode} before ${re}; log: ${p.log}\n${tail(p.log)}`)
    await sleep(100)
  }
  throw new Error(`${p.name}: no line matching ${re} within ${timeoutMs} ms; log: ${p.log}`)
}

export function tail (file: string, lines = 15): string {
  try { return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') } catch { return '' }
}

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
export function procStat (pid: number): { cpuSec: number, rssBytes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may contain spaces and is in parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { cpuSec: (Number(f[11]) + Number(f[12])) / CLK_TCK, rssBytes: Number(f[21]) * PAGE }
  } catch {
    return undefined
  }
}

export type Usage = { name: string, cpuPct: number, cpuSec: number, rssMaxMB: number, rssEndMB: number }

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineBusySec (): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
  return (total - (f[3] ?? 0) - (f[4] ?? 0)) / CLK_TCK
}

/**
 * Samples processes every `everyMs` between start() and stop(): average CPU over the window
 * (100% = one core) and peak RSS.
 */
export function sampler (procs: Array<{ name: string, pid: number }>, everyMs = 250) {
  const first = new Map<number, { cpuSec: number, at: number }>()
  const peak = new Map<number, number>()
  const last = new Map<number, { cpuSec: number, rssBytes: number, at: number }>()
  let timer: NodeJS.Timeout | undefined
  let machine: { start: number, at: number } | undefined
  const sample = () => {
    const at = performance.now()
    for (const p of procs) {
      const s = procStat(p.pid)
      if (s === undefined) continue
      if (!first.has(p.pid)) first.set(p.pid, { cpuSec: s.cpuSec, at })
      peak.set(p.pid, Math.max(peak.get(p.pid) ?? 0, s.rssBytes))
      last.set(p.pid, { ...s, at })
    }
  }
  return {
    start () { sample(); machine = { start: machineBusySec(), at: performance.now() }; timer = setInterval(sample, everyMs) },
    stop (): Usage[] {
      clearInterval(timer)
      sample()
      const ours = procs.map((p) => {
        const a = first.get(p.pid)
        const b = last.get(p.pid)
        const secs = a && b ? (b.at - a.at) / 1000 : 0
        const cpuSec = a && b ? b.cpuSec - a.cpuSec : 0
        return { name: p.name, cpuSec, cpuPct: secs > 0 ? (100 * cpuSec) / secs : 0, rssMaxMB: (peak.get(p.pid) ?? 0) / 2 ** 20, rssEndMB: (b?.rssBytes ?? 0) / 2 ** 20 }
      })
      // Everything else on the machine in the same window (the orchestrator, the kernel's
      // share, and other users' processes on a shared machine): honest context for the figures.
      const secs = machine === undefined ? 0 : (performance.now() - machine.at) / 1000
      const busy = machine === undefined ? 0 : machineBusySec() - machine.start
      const others = Math.max(0, busy - ours.reduce((s, u) => s + u.cpuSec, 0))
      return [...ours, { name: 'rest of the machine', cpuSec: others, cpuPct: secs > 0 ? (100 * others) / secs : 0, rssMaxMB: 0, rssEndMB: 0 }]
    }
  }
}

/** Every descendant of `pid` (children first found, then theirs), from /proc. */
export function descendants (pid: number): number[] {
  const parentOf = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      parentOf.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {}
  }
  const out: number[] = []
  const walk = (p: number) => { for (const [c, pp] of parentOf) if (pp === p) { out.push(c); walk(c) } }
  walk(pid)
  return out
}

/**
 * Stops a process and everything it started, even in their own process groups (a private
 * influxd is one): Node does not run 'exit' handlers when killed by a signal, so a child's
 * own clean-up cannot be relied on.
 */
export async function stopTree (p: Proc, graceMs = 10_000): Promise<void> {
  const kids = descendants(p.pid)
  for (const k of kids) { try { process.kill(k, 'SIGTERM') } catch {} }
  await stop(p, graceMs)
  await sleep(1000)
  for (const k of kids) { try { process.kill(k, 'SIGKILL') } catch {} }
}
