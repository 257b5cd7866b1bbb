// The notifier, in the process that evaluates alerts (it only needs the registry): every tick
// it pulls new transitions into its queue, turns groups whose wait is over into notifications
// and sends what is due. Sending does not hold up the tick: a receiver that never answers
// occupies one of the sender's slots until its timeout, nothing else.
import type { Registry as PromRegistry } from 'prom-client'
import type { Logger } from '../../platform/logger.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { createDispatcher } from './dispatch.ts'
import { createNotifyMetrics } from './notify-metrics.ts'
import { createOutboxReader } from './outbox.ts'
import { createSender } from './sender.ts'

const NAME_TTL_MS = 60_000

export type NotifierOptions = {
  registry: Registry
  logger: Logger
  metrics: PromRegistry
  tickMs: number
  groupWaitMs: number
  giveUpAfterMs: number
  retryBaseMs: number
  retryMaxMs: number
  timeoutMs: number
  flapMaxPerHour: number
  publicUrl: string | null
  clock?: () => number
}

export function startNotifier (o: NotifierOptions) {
  const { registry } = o
  const logger = o.logger.child({ component: 'notifier' })
  const clock = o.clock ?? Date.now
  const metrics = createNotifyMetrics(o.metrics, registry.notify)
  const outbox = createOutboxReader({ alerts: registry.alerts, notify: registry.notify, transaction: registry.syncTransaction })
  const names = new Map<string, { name: string, at: number }>()
  const dispatcher = createDispatcher({
    alerts: registry.alerts,
    notify: registry.notify,
    transaction: registry.syncTransaction,
    silencesAt: registry.alertSettings.activeSilences,
    stationName: (id) => names.get(id)?.name ?? id,
    groupWaitMs: o.groupWaitMs,
    flapMaxPerHour: o.flapMaxPerHour,
    publicUrl: o.publicUrl
  })
  const sender = createSender({
    notify: registry.notify, logger, metrics, giveUpAfterMs: o.giveUpAfterMs, retryBaseMs: o.retryBaseMs, retryMaxMs: o.retryMaxMs, timeoutMs: o.timeoutMs
  })
  const sending = new Set<Promise<unknown>>()
  let closed = false

  /**
   * The names of the stations with queued transitions, for the bodies the (synchronous)
   * dispatch writes: read before it, each at most once a minute.
   */
  async function readNames (): Promise<void> {
    const t = Date.now()
    for (const id of new Set((await registry.notify.queued()).map((q) => q.stationId))) {
      const hit = names.get(id)
      if (hit && t - hit.at < NAME_TTL_MS) continue
      names.set(id, { name: (await registry.getStation(id))?.name ?? id, at: t })
    }
  }

  async function dispatch (): Promise<void> {
    try {
      outbox.pull()
      await readNames()
      dispatcher.run(clock())
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'notification dispatch failed')
    }
  }

  /** One round; the promise settles when this round's send attempts are done (the timer ignores it). */
  function tick (): Promise<unknown> {
    const p = dispatch().then(() => sender.run(clock)).catch((err: unknown) => logger.error({ err: (err as Error).message }, 'notification sending failed'))
    sending.add(p)
    void p.finally(() => sending.delete(p))
    return p
  }

  const timer = setInterval(() => { if (!closed) void tick() }, o.tickMs)
  timer.unref()
  void tick()
  return {
    tick,
    metrics,
    /** Stops taking new work and waits for attempts under way (each ends by its timeout). */
    async close (): Promise<void> {
      closed = true
      clearInterval(timer)
      await Promise.allSettled([...sending])
    }
  }
}
