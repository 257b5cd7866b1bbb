import { execFile, spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { freePort, start, stop, waitForPort, type Proc } from './proc.ts'

// Debian's Mosquitto for the baselines, installed with apt-get when missing (as root), run
// with a generated config on a free loopback port. Its default per-client limits
// (max_inflight_messages 20, max_queued_messages 1000) silently drop QoS 1 messages to a
// subscriber that falls behind; the baselines raise them, as anyone comparing fairly would.

export const MOSQUITTO_LIMITS = { max_inflight_messages: 1000, max_queued_messages: 100_000 }
const BIN = '/usr/sbin/mosquitto'

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => new Promise<{ code: number, out: string }>((resolve) => {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  child.on('close', (code) => resolve({ code: code ?? 1, out }))
})

export async function ensureMosquitto (log: (line: string) => void): Promise<string> {
  if (existsSync(BIN)) return BIN
  if (process.getuid?.() !== 0) throw new Error('mosquitto is not installed: sudo apt-get install mosquitto')
  // Keep the package's service from starting its own broker on 1883.
  const policy = '/usr/sbin/policy-rc.d'
  const created = !existsSync(policy)
  if (created) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 })
  try {
    log('installing mosquitto with apt-get (one-time)…')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    let r = await run('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'install', '-y', '--no-install-recommends', 'mosquitto'], env)
    if (r.code !== 0) {
      await run('apt-get', ['update'], env)
      r = await run('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'install', '-y', '--no-install-recommends', 'mosquitto'], env)
    }
    if (r.code !== 0) throw new Error(`apt-get install mosquitto failed:\n${r.out.split('\n').slice(-10).join('\n')}`)
  } finally {
    if (created) await rm(policy, { force: true })
  }
  return BIN
}

export function mosquittoVersion (): Promise<string> {
  return new Promise((resolve) => execFile(BIN, ['-h'], (_err, stdout) => resolve(/mosquitto version (\S+)/.exec(stdout)?.[1] ?? 'unknown')))
}

export async function startMosquitto (dir: string, log: (line: string) => void): Promise<{ proc: Proc, url: string, stop (): Promise<void> }> {
  const bin = await ensureMosquitto(log)
  const port = await freePort()
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    `max_inflight_messages ${MOSQUITTO_LIMITS.max_inflight_messages}`,
    `max_queued_messages ${MOSQUITTO_LIMITS.max_queued_messages}`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ''
  ].join('\n'))
  const proc = start('mosquitto', bin, ['-c', conf], { log: join(dir, 'mosquitto.log') })
  await waitForPort(port, proc)
  return { proc, url: `mqtt://127.0.0.1:${port}`, stop: () => stop(proc) }
}
