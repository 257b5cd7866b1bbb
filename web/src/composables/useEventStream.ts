// An EventSource that keeps itself connected. The browser retries a dropped stream by itself
// only while the server keeps answering 200; a restart that answers 502/503, a 401 or a
// proxy timeout closes it for good. Here a closed stream is reopened with a growing delay
// (1 s … 30 s), `state` says whether data is live, and the caller keeps showing the last
// data it got: a wall screen never goes blank or silently freezes.
import { onScopeDispose, ref, watch, type Ref } from 'vue'

export type StreamState = 'connecting' | 'live' | 'reconnecting'

export type StreamHandlers = Record<string, (data: unknown, id: string) => void>

export type StreamOptions = {
  /** Called when the stream closed, before reopening it (e.g. check the session: a 401 signs out). */
  onClosed?: () => Promise<unknown> | void
  /** Reconnect when no event (data or `heartbeat`) arrived for this long once a heartbeat was seen. */
  silenceMs?: number
}

const MAX_DELAY_MS = 30_000

export function useEventStream (url: Ref<string | null>, handlers: StreamHandlers, opts: StreamOptions = {}) {
  const state = ref<StreamState>('connecting')
  const lastEventAt = ref<Date | null>(null)
  let source: EventSource | null = null
  let retry: ReturnType<typeof setTimeout> | undefined
  let watchdog: ReturnType<typeof setInterval> | undefined
  let delay = 1000
  let lastId = ''
  let heartbeats = false
  let disposed = false

  const seen = () => { lastEventAt.value = new Date(); state.value = 'live'; delay = 1000 }

  function close () {
    source?.close()
    source = null
    clearTimeout(retry)
  }

  // A new EventSource does not send Last-Event-ID: the API also takes it as ?lastEventId=
  // and resumes where we were (or sends a fresh snapshot). It replaces one the caller's URL
  // may carry (the position of its first load): a repeated parameter would be refused.
  function withLastId (u: string): string {
    if (!lastId) return u
    const [path = u, search = ''] = u.split('?')
    const q = new URLSearchParams(search)
    q.set('lastEventId', lastId)
    return `${path}?${q}`
  }

  function open (u: string) {
    close()
    const es = new EventSource(withLastId(u), { withCredentials: true })
    source = es
    es.onopen = () => { if (source === es) { state.value = 'live'; delay = 1000 } }
    for (const [name, handle] of Object.entries(handlers)) {
      es.addEventListener(name, (ev) => {
        const msg = ev as MessageEvent<string>
        try { handle(JSON.parse(msg.data), msg.lastEventId) } catch { return }
        if (msg.lastEventId) lastId = msg.lastEventId
        seen()
      })
    }
    es.addEventListener('heartbeat', () => { heartbeats = true; seen() })
    es.onerror = () => {
      if (source !== es || disposed) return
      state.value = 'reconnecting'
      // CONNECTING: the browser retries by itself (and sends Last-Event-ID). CLOSED: we must.
      if (es.readyState === EventSource.CLOSED) scheduleReopen(u)
    }
  }

  function scheduleReopen (u: string) {
    close()
    retry = setTimeout(async () => {
      try { await opts.onClosed?.() } catch { /* still down: try the stream anyway */ }
      if (!disposed && url.value === u) open(u)
    }, delay)
    delay = Math.min(delay * 2, MAX_DELAY_MS)
  }

  const silenceMs = opts.silenceMs ?? 60_000
  watchdog = setInterval(() => {
    const last = lastEventAt.value?.getTime() ?? 0
    if (heartbeats && source && url.value && Date.now() - last > silenceMs) {
      state.value = 'reconnecting'
      scheduleReopen(url.value)
    }
  }, 5000)

  watch(url, (u) => {
    lastId = ''
    close()
    if (u) { state.value = 'connecting'; open(u) }
  }, { immediate: true })

  onScopeDispose(() => { disposed = true; close(); clearInterval(watchdog) })

  return { state, lastEventAt }
}
