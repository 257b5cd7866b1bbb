// Failures of the time-series store, sorted into "cannot reach it" (the client should retry:
// 503) and everything else (our bug or a misconfiguration: 500). Either way only a message
// survives: node-influx's RequestError carries the outgoing request, Authorization header
// included, and must never reach a log line or a response body as an object.

// Socket-level failures that mean "InfluxDB is down or unreachable", as opposed to "it
// answered and did not like the question".
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT',
  'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET'
])

export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError'
}

/** Any other store failure, reduced to its message for the same reason. */
export class StoreQueryError extends Error {
  override readonly name = 'StoreQueryError'
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export function isStoreUnreachable (err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true
  // node-influx does not export this class; it stands for a 5xx answer, a request timeout,
  // or "No host available" while its pool backs off from a host that failed.
  return (err as object).constructor?.name === 'ServiceNotAvailableError'
}

/** Re-throwable replacement for an error thrown by node-influx. */
export function toStoreError (err: unknown): StoreUnavailableError | StoreQueryError {
  return isStoreUnreachable(err)
    ? new StoreUnavailableError(messageOf(err))
    : new StoreQueryError(messageOf(err))
}
