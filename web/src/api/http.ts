// One fetch wrapper for every API call: same-origin with the session cookie, the CSRF token
// on writes, JSON in and out, and the API's error shape `{ statusCode, error, message }`
// turned into an ApiError. A 401 anywhere reports to `onUnauthorized` (the session sends the
// user back to sign-in with the reason) before the caller sees the error.

export class ApiError extends Error {
  readonly status: number
  /** The API's reason for a 401 (session_expired, token_revoked, …), when it gave one. */
  readonly reason: string | null
  /** Per-item errors, e.g. the refused rows of a CSV import (422 `errors`). */
  readonly details: string[]
  constructor (status: number, message: string, reason: string | null, details: string[] = []) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.reason = reason
    this.details = details
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>

export type RequestOptions = { query?: Query, body?: unknown, text?: string, signal?: AbortSignal }

export type HttpOptions = {
  /** The CSRF token of the current session (null before sign-in). */
  csrfToken: () => string | null
  /** Called on any 401 except from the sign-in request itself. */
  onUnauthorized: (reason: string | null, message: string) => void
}

export function withQuery (path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  const s = params.toString()
  return s ? `${path}?${s}` : path
}

async function errorOf (res: Response): Promise<ApiError> {
  let message = res.statusText || `HTTP ${res.status}`
  let reason: string | null = null
  let details: string[] = []
  try {
    const body = await res.json() as { message?: unknown, reason?: unknown, errors?: unknown }
    if (typeof body.message === 'string') message = body.message
    if (typeof body.reason === 'string') reason = body.reason
    if (Array.isArray(body.errors)) details = body.errors.map(String)
  } catch { /* not JSON: keep the status text */ }
  return new ApiError(res.status, message, reason, details)
}

export function createHttp (opts: HttpOptions) {
  async function request<T> (method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    let body: string | undefined
    if (o.body !== undefined) { headers['content-type'] = 'application/json'; body = JSON.stringify(o.body) }
    if (o.text !== undefined) { headers['content-type'] = 'text/csv'; body = o.text }
    const csrf = opts.csrfToken()
    if (method !== 'GET' && method !== 'HEAD' && csrf) headers['x-csrf-token'] = csrf
    let res: Response
    try {
      res = await fetch(withQuery(path, o.query), { method, headers, body, credentials: 'same-origin', signal: o.signal })
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err
      throw new ApiError(0, (err as Error).message, 'network')
    }
    if (!res.ok) {
      const err = await errorOf(res)
      if (res.status === 401 && path !== '/session') opts.onUnauthorized(err.reason, err.message)
      throw err
    }
    if (res.status === 204) return undefined as T
    return await res.json() as T
  }
  return {
    get: <T>(path: string, o?: RequestOptions) => request<T>('GET', path, o),
    post: <T>(path: string, o?: RequestOptions) => request<T>('POST', path, o),
    patch: <T>(path: string, o?: RequestOptions) => request<T>('PATCH', path, o),
    del: <T>(path: string, o?: RequestOptions) => request<T>('DELETE', path, o)
  }
}

export type Http = ReturnType<typeof createHttp>
