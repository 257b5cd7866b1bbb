// The primary's side of `waystation start --workers N`: forks the workers through Node's cluster
// module, restarts one that dies (with back-off; gives up after repeated crashes) and stops them
// all on shutdown, each draining as a single process does.
import cluster, { type Worker } from 'node:cluster'
import type { Logger } from '../../platform/logger.ts'
import { isReady, shutdownMessage } from './messages.ts'
import { workerName } from './worker-env.ts'

export type RestartPolicy = {
  /** First restart delay; doubled for each further crash within `windowMs`, up to `maxDelayMs`. */
  baseDelayMs: number
  maxDelayMs: number
  /** This many crashes of one worker within `windowMs`: give up (the primary exits). */
  maxCrashes: number
  windowMs: number
}

export const DEFAULT_RESTART: RestartPolicy = { baseDelayMs: 500, maxDelayMs: 15_000, maxCrashes: 5, windowMs: 60_000 }

type Slot = { i: number, name: string, log: Logger, worker: Worker | null, crashes: number[], timer?: NodeJS.Timeout }

export type PoolOptions = {
  count: number
  /** Environment of worker i (1-based), on top of the primary's. */
  envFor: (i: number) => Record<string, string>
  logger: Logger
  /** How long a worker may take to drain before it is killed. */
  stopTimeoutMs: number
  restart?: RestartPolicy
  /** A worker kept crashing: the pool gave up on it. */
  onGiveUp: (reason: string) => void
}

export function createWorkerPool (o: PoolOptions) {
  const policy = o.restart ?? DEFAULT_RESTART
  const slots: Slot[] = Array.from({ length: o.count }, (_, k) => ({ i: k + 1, name: workerName(k + 1), log: o.logger.child({ worker: workerName(k + 1) }), worker: null, crashes: [] }))
  let stopping = false
  let failedExits = 0

  /** Forks the slot's worker; resolves once it is ready, rejects if it exits before. */
  function fork (slot: Slot, restart: boolean): Promise<void> {
    const worker = cluster.fork(o.envFor(slot.i))
    slot.worker = worker
    let ready = false
    return new Promise((resolve, reject) => {
      worker.on('message', (m) => {
        if (!isReady(m) || ready) return
        ready = true
        slot.log.info({ workerPid: worker.process.pid, brokerId: m.brokerId }, restart ? 'worker restarted and ready' : 'worker ready')
        resolve()
      })
      worker.on('exit', (code, signal) => {
        slot.worker = null
        if (stopping) {
          if (code !== 0) failedExits++
          slot.log[code === 0 ? 'info' : 'error']({ workerPid: worker.process.pid, code, signal }, 'worker stopped')
          return
        }
        const err = new Error(`worker ${slot.name} (pid ${worker.process.pid}) exited with ${signal ?? `code ${code}`} ${ready ? 'while running' : 'before it was ready'}`)
        // A worker that never started during the first start is a configuration or port
        // problem, not a crash: the start fails with it rather than retry forever.
        if (!ready && !restart) return reject(err)
        crashed(slot, err.message)
      })
    })
  }

  function crashed (slot: Slot, what: string): void {
    const now = Date.now()
    slot.crashes = [...slot.crashes.filter((t) => now - t < policy.windowMs), now]
    if (slot.crashes.length >= policy.maxCrashes) {
      slot.log.fatal({ crashes: slot.crashes.length, windowMs: policy.windowMs }, `${what}: crashed too often, giving up`)
      o.onGiveUp(`${slot.name} crashed ${slot.crashes.length} times within ${policy.windowMs} ms`)
      return
    }
    const delayMs = Math.min(policy.baseDelayMs * 2 ** (slot.crashes.length - 1), policy.maxDelayMs)
    slot.log.error({ crashes: slot.crashes.length, delayMs }, `${what}: restarting`)
    // Its devices reconnect meanwhile and the primary hands them to the other workers.
    slot.timer = setTimeout(() => {
      slot.timer = undefined
      if (!stopping) fork(slot, true).catch(() => {}) // an exit before ready lands in crashed() again
    }, delayMs)
  }

  /** Stops one worker: asks it to drain, kills it if it overstays. */
  async function stopSlot (slot: Slot, reason: string): Promise<void> {
    clearTimeout(slot.timer)
    const w = slot.worker
    if (!w || w.isDead()) return
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()))
    if (w.isConnected()) w.send(shutdownMessage(reason))
    else w.process.kill('SIGTERM')
    const killer = setTimeout(() => {
      slot.log.error({ workerPid: w.process.pid, timeoutMs: o.stopTimeoutMs }, 'worker did not stop in time: killing it')
      w.process.kill('SIGKILL')
    }, o.stopTimeoutMs)
    await exited
    clearTimeout(killer)
  }

  return {
    /** Forks every worker; resolves when all are ready, rejects when one exits before. */
    start: () => Promise.all(slots.map((s) => fork(s, false))).then(() => {}),
    /**
     * Every worker drains at the same time (one after another would push each one's devices
     * onto the next one to stop); resolves when all have exited.
     */
    async stop (reason = 'shutdown'): Promise<void> {
      stopping = true
      await Promise.all(slots.map((s) => stopSlot(s, reason)))
    },
    /** Kills every worker at once (a second signal). */
    kill (): void {
      stopping = true
      for (const s of slots) { clearTimeout(s.timer); s.worker?.process.kill('SIGKILL') }
    },
    /** Workers that exited with a non-zero code during stop(). */
    failedExits: () => failedExits,
    pids: () => slots.map((s) => s.worker?.process.pid ?? null),
    /** The workers running now, by name (w1, w2, …). */
    workers: () => slots.flatMap((s) => (s.worker ? [{ name: s.name, worker: s.worker }] : []))
  }
}

export type WorkerPool = ReturnType<typeof createWorkerPool>
