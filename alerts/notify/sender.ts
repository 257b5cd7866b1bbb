import { createHmac } from 'node:crypto'
import type { Logger } from '../../platform/logger.ts'
import type { NotifyMetrics } from './notify-metrics.ts'
import type { NotifyStore, PendingNotification } from './notify-store.ts'

// Step 3 of the notifier: POST each due notification, exactly the stored body under its
// Idempotency-Key, signed with the webhook's current secret. 2xx: sent. A network error, a
// timeout, 5xx, 408 or 429: retried after an exponential back-off with jitter, until the
// notification is `giveUpAfterMs` old. Any other 4xx: the receiver refuses it; retrying the
// same bytes cannot help, so it is given up at once. Every give-up is recorded with its last
// error (GET /notifications), counted and logged: never silent.

export const SIGNATURE_HEADER = 'x-waystation-signature'

export type SenderOptions = {
  notify: NotifyStore
  logger: Logger
  metrics: NotifyMetrics
  giveUpAfterMs: number
  retryBaseMs: number
  retryMaxMs: number
  timeoutMs: number
  concurrency?: number
  random?: () => number
}

/** `sha256=<hex>` of HMAC-SHA256(secret, body): what receivers recompute over the raw body. */
export function signature (secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/** Delay before attempt `attempts + 1`: base · 2^(attempts-1), capped, "equal jitter" (half fixed, half random). */
export function backoffMs (attempts: number, base: number, max: number, random: () => number): number {
  const exp = Math.min(max, base * 2 ** Math.min(30, Math.max(0, attempts - 1)))
  return Math.round(exp / 2 + random() * exp / 2)
}

const retryable = (status: number) => status >= 500 || status === 408 || status === 429

export function createSender (o: SenderOptions) {
  const random = o.random ?? Math.random
  const concurrency = o.concurrency ?? 8
  const inFlight = new Set<number>()
  const log = o.logger

  async function post (url: string, n: PendingNotification, secret: string): Promise<{ status: number | null, error: string | null }> {
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(), o.timeoutMs)
    try {
      const res = await fetch(url, {
        method: 'POST',
        body: n.body,
        signal: ac.signal,
        redirect: 'error',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'idempotency-key': n.idempotencyKey,
          [SIGNATURE_HEADER]: signature(secret, n.body),
          'x-waystation-notification': String(n.id),
          'user-agent': 'waystation-notifier/1'
        }
      })
      await res.arrayBuffer().catch(() => undefined)
      return { status: res.status, error: res.ok ? null : `HTTP ${res.status}` }
    } catch (err) {
      const e = err as Error & { cause?: { code?: string, message?: string } }
      return { status: null, error: ac.signal.aborted ? `timeout after ${o.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message) }
    } finally {
      clearTimeout(timer)
    }
  }

  async function attempt (n: PendingNotification, nowMs: () => number): Promise<void> {
    const webhook = await o.notify.webhooks.get(n.webhookId)
    const secret = await o.notify.webhooks.secretOf(n.webhookId)
    const at = () => new Date(nowMs()).toISOString()
    if (!webhook || secret === null) {
      await o.notify.giveUp(n.id, at(), null, 'webhook deleted', false)
      o.metrics.givenUp.inc({ reason: 'webhook_deleted' })
      log.warn({ notification: n.id, webhook: n.webhookId }, 'notification given up: its webhook was deleted')
      return
    }
    const r = await post(webhook.url, n, secret)
    const done = at()
    if (r.status !== null && r.status >= 200 && r.status < 300) {
      await o.notify.sent(n.id, done, r.status)
      o.metrics.sent.inc()
      return
    }
    const tooOld = nowMs() - Date.parse(n.createdAt) >= o.giveUpAfterMs
    if ((r.status === null || retryable(r.status)) && !tooOld) {
      const next = new Date(nowMs() + backoffMs(n.attempts + 1, o.retryBaseMs, o.retryMaxMs, random)).toISOString()
      await o.notify.retry(n.id, done, r.status, r.error ?? 'failed', next)
      o.metrics.retried.inc()
      log.info({ notification: n.id, webhook: n.webhookId, attempt: n.attempts + 1, error: r.error, next }, 'notification will be retried')
      return
    }
    const reason = tooOld ? 'too_old' : 'refused'
    await o.notify.giveUp(n.id, done, r.status, `${r.error ?? 'failed'}${tooOld ? ` (given up after ${Math.round(o.giveUpAfterMs / 1000)} s)` : ' (refused by the receiver)'}`, true)
    o.metrics.givenUp.inc({ reason })
    log.error({ notification: n.id, webhook: n.webhookId, attempts: n.attempts + 1, error: r.error, reason }, 'notification given up')
  }

  return {
    /** Starts the due notifications not already being sent; resolves when this round's attempts are done. */
    async run (nowMs: () => number): Promise<number> {
      const free = concurrency - inFlight.size
      if (free <= 0) return 0
      const read = await o.notify.due(new Date(nowMs()).toISOString(), free + inFlight.size)
      // Taken in one synchronous step after the read: a round running alongside (the timer's)
      // sees these in flight and neither sends them again nor exceeds the concurrency.
      const due = read.filter((n) => !inFlight.has(n.id)).slice(0, Math.max(0, concurrency - inFlight.size))
      await Promise.all(due.map(async (n) => {
        inFlight.add(n.id)
        try {
          await attempt(n, nowMs)
        } catch (err) {
          log.error({ notification: n.id, err: (err as Error).message }, 'notification attempt failed')
        } finally {
          inFlight.delete(n.id)
        }
      }))
      return due.length
    },
    inFlight: () => inFlight.size
  }
}
