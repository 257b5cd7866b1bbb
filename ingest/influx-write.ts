// POST /write with pre-built line protocol. This is the part of the InfluxDB 1.x HTTP API that
// 1.8+, 2.x (v1 compatibility) and 3.x all serve. node-influx is used for queries and DDL; for
// writes it would cost more than twice the CPU per point and hide the status code we need to
// tell a retryable failure from a permanent one.

export type WriteFailureKind = 'retryable' | 'permanent'

export class WriteError extends Error {
  readonly kind: WriteFailureKind
  readonly status: number | undefined
  constructor (kind: WriteFailureKind, message: string, status?: number) {
    super(message)
    this.kind = kind
    this.status = status
  }
}

export type InfluxWriteOptions = {
  url: string
  database: string
  username?: string | undefined
  password?: string | undefined
  timeoutMs: number
  retentionPolicy?: string
}

/** Resolves when InfluxDB accepted the body; `signal` abandons the request (shutdown). */
export type WriteLines = (body: string | Uint8Array, signal?: AbortSignal) => Promise<void>

export function createInfluxWrite (opts: InfluxWriteOptions): WriteLines {
  const target = new URL('/write', opts.url)
  target.searchParams.set('db', opts.database)
  target.searchParams.set('precision', 'ns')
  if (opts.retentionPolicy) target.searchParams.set('rp', opts.retentionPolicy)
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' }
  if (opts.username) {
    headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`
  }
  const href = target.href

  return async function writeLines (body: string | Uint8Array, signal?: AbortSignal): Promise<void> {
    // A timer of our own, cleared when the request is answered: AbortSignal.timeout() would keep
    // every write's timer (and signal) alive for the whole timeout and then fire it for nothing.
    const abort = new AbortController()
    const timer = setTimeout(() => abort.abort(new Error(`no answer in ${opts.timeoutMs} ms`)), opts.timeoutMs)
    const onShutdown = () => abort.abort(signal!.reason)
    signal?.addEventListener('abort', onShutdown, { once: true })
    if (signal?.aborted === true) abort.abort(signal.reason)
    try {
      let res: Response
      try {
        res = await fetch(href, { method: 'POST', headers, body, signal: abort.signal })
      } catch (err) {
        // Connection refused, reset, DNS, timeout: the server may or may not have stored the
        // batch. Retrying is safe because points are idempotent (same series + timestamp).
        const cause = (err as { cause?: { code?: string } }).cause?.code
        throw new WriteError('retryable', `InfluxDB unreachable: ${cause ?? (err as Error).message}`)
      }
      if (res.status === 204 || res.status === 200) {
        await res.body?.cancel()
        return
      }
      await refusal(res)
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onShutdown)
    }
  }
}

async function refusal (res: Response): Promise<never> {
  const text = (await res.text().catch(() => '')).slice(0, 2000)
  let message = text
  try { message = (JSON.parse(text) as { error?: string }).error ?? text } catch {}
  // 400: malformed line, field type conflict or point outside the retention policy (a
  // "partial write": the valid points of the batch were stored). Not retryable as is.
  // 401/403/404: wrong credentials or missing database: retry, an operator can fix it
  // without losing what devices still hold. 413: too large: split.
  if (res.status === 400) throw new WriteError('permanent', message, res.status)
  if (res.status === 413) throw new WriteError('permanent', `request too large: ${message}`, res.status)
  throw new WriteError('retryable', `InfluxDB answered ${res.status}: ${message}`, res.status)
}
