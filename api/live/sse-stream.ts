// One Server-Sent Events connection (https://html.spec.whatwg.org/multipage/server-sent-events.html):
// a `retry:` hint, a snapshot or the missed events, then each change as it is pushed, and a
// comment line every heartbeat so proxies and clients know the connection is alive.
//
// Memory per client is bounded: the hub hands events to `push`, which writes them to the
// socket at once. When the socket's buffer passes `maxBufferedBytes` (a client that stopped
// reading, a slow link), nothing more is written until it drains; then the client gets a
// fresh snapshot instead of the events it missed, which may be any number. The bound counts on
// top of the last snapshot: a province's snapshot (~500 B a station, 5 MB for 10,000) may be
// larger than the bound itself, and counting it would mark every stream overflowed at once,
// sending snapshot after snapshot and never an event.
import type { ServerResponse } from 'node:http'
import type { LiveEvent, LiveHub, Subscriber } from './live-hub.ts'

export type SseStreamOptions = {
  hub: LiveHub
  heartbeatMs: number
  retryMs: number
  maxBufferedBytes: number
  wants: Subscriber['wants']
  /** The snapshot event's data (FleetLive JSON) for the client's stations, now. */
  snapshot: () => string
  /** `station` events carry the StationLiveSummary (view=summary) instead of the StationLive. */
  summary?: boolean
  /** Events missed since the client's Last-Event-ID; null: send a snapshot. */
  resume: LiveEvent[] | null
  /** Checked at each heartbeat: false (e.g. its token was revoked) ends the stream, and so does a failed check. */
  stillAllowed: () => Promise<boolean>
  onPush?: () => void
  onClose?: () => void
}

export type SseStream = { end (): void }

const eventText = (e: LiveEvent, summary: boolean) => `id: ${e.id}\nevent: station\ndata: ${summary ? e.summary() : e.data}\n\n`

export function openSseStream (res: ServerResponse, headers: Record<string, string | number | string[]>, opts: SseStreamOptions): SseStream {
  const { hub } = opts
  let overflowed = false
  let ended = false
  // Bytes of the last snapshot written: allowed in the buffer on top of maxBufferedBytes.
  let snapshotBytes = 0

  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    // no-transform: a compressing proxy must not hold events back to fill a block.
    'cache-control': 'no-cache, no-store, no-transform',
    connection: 'keep-alive',
    // nginx buffers responses unless told not to.
    'x-accel-buffering': 'no'
  })

  function write (text: string): void {
    res.write(text)
    if (res.writableLength > opts.maxBufferedBytes + snapshotBytes) overflowed = true
  }

  function writeSnapshot (): void {
    const text = `id: ${hub.currentId()}\nevent: snapshot\ndata: ${opts.snapshot()}\n\n`
    snapshotBytes = Buffer.byteLength(text)
    write(text)
  }

  write(`retry: ${opts.retryMs}\n\n`)
  if (opts.resume === null) writeSnapshot()
  else for (const e of opts.resume) write(eventText(e, opts.summary === true))

  const unsubscribe = hub.subscribe({
    wants: opts.wants,
    push (e) {
      if (overflowed || ended) return
      write(eventText(e, opts.summary === true))
      opts.onPush?.()
    }
  })

  res.on('drain', () => {
    if (!overflowed || ended) return
    overflowed = false
    writeSnapshot()
  })

  const heartbeat = setInterval(() => {
    opts.stillAllowed().then((allowed) => {
      if (ended) return
      if (!allowed) return end()
      if (!overflowed) write(': heartbeat\n\n')
    }, () => end())
  }, opts.heartbeatMs)

  function cleanup (): void {
    if (ended) return
    ended = true
    clearInterval(heartbeat)
    unsubscribe()
    opts.onClose?.()
  }

  function end (): void {
    cleanup()
    if (!res.writableEnded) res.end()
  }

  res.on('close', cleanup)
  res.on('error', cleanup)
  return { end }
}
