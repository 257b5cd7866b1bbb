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
  const outbox = createOutboxReader({ alerts: registry.alerts, notify: registry.notify, transaction: registry.transaction })
  const dispatcher = createDispatcher({
    alerts: registry.alerts,
    notify: registry.notify,
    transaction: registry.transaction,
    silencesAt: registry.alertSettings.activeSilences,
    stationName: async (id) => (await registry.getStation(id))?.name ?? id,
    groupWaitMs: o.groupWaitMs,
    flapMaxPerHour: o.flapMaxPerHour,
    publicUrl: o.publicUrl
  })
  const sender = createSender({
    notify: registry.notify, logger, metrics, giveUpAfterMs: o.giveUpAfterMs, retryBaseMs: o.retryBaseMs, retryMaxMs: o.retryMaxMs, timeoutMs: o.timeoutMs
  })
  const sending = new Set<Promise<unknown>>()
  let closed = false

  // Pull and dispatch one round at a time (a round started meanwhile waits for it): two rounds
  // reading the same queue would decide its transitions twice.
  let dispatching: Promise<void> = Promise.resolve()
  const dispatch = async (): Promise<void> => {
    try {
      await outbox.pull()
      await dispatcher.run(clock())
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'notification dispatch failed')
    }
  }

  /** One round; the promise settles when this round's send attempts are done (the timer ignores it). */
  function tick (): Promise<unknown> {
    const round = dispatching = dispatching.then(dispatch)
    const p = round.then(() => sender.run(clock)).catch((err: unknown) => logger.error({ err: (err as Error).message }, 'notification sending failed'))
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
