// A Server-Sent Events reader over fetch (as a dashboard's fetch-based client reads the
// stream, with the token in the Authorization header): parses the stream as it arrives into
// events and comment lines, and lets a test wait for what it expects.
export type SseEvent = { id?: string, event: string, data: string }
export type SseItem = SseEvent | { comment: string }

export type SseReader = Awaited<ReturnType<typeof openSse>>

export async function openSse (url: string, headers: Record<string, string>) {
  const controller = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal })
  const items: SseItem[] = []
  let ended = false
  let buffer = ''
  const waiters = new Set<() => void>()
  const notify = () => { for (const w of waiters) w() }

  const pump = (async () => {
    if (!res.body) return
    const decoder = new TextDecoder()
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const ev: SseEvent = { event: 'message', data: '' }
          let isEvent = false
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) items.push({ comment: line.slice(1).trim() })
            else if (line.startsWith('id: ')) { ev.id = line.slice(4); isEvent = true } else if (line.startsWith('event: ')) { ev.event = line.slice(7); isEvent = true } else if (line.startsWith('data: ')) { ev.data += line.slice(6); isEvent = true }
          }
          if (isEvent) items.push(ev)
        }
        notify()
      }
    } catch {
      // aborted
    } finally {
      ended = true
      notify()
    }
  })()

  const events = () => items.filter((i): i is SseEvent => 'event' in i)

  /** Resolves with the first item (from index `from`) that matches, or rejects after timeoutMs. */
  function waitFor<T extends SseItem> (match: (i: SseItem) => i is T, timeoutMs?: number, from?: number): Promise<T>
  function waitFor (match: (i: SseItem) => boolean, timeoutMs?: number, from?: number): Promise<SseItem>
  function waitFor (match: (i: SseItem) => boolean, timeoutMs = 10_000, from = 0): Promise<SseItem> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = items.slice(from).find(match)
        if (found) { cleanup(); resolve(found); return true }
        if (ended) { cleanup(); reject(new Error('stream ended')) }
        return false
      }
      const timer = setTimeout(() => { cleanup(); reject(new Error(`no matching SSE item within ${timeoutMs} ms; got ${JSON.stringify(items).slice(0, 2000)}`)) }, timeoutMs)
      const cleanup = () => { clearTimeout(timer); waiters.delete(check) }
      waiters.add(check)
      check()
    })
  }

  return {
    status: res.status,
    headers: res.headers,
    items,
    events,
    /** Station events parsed. */
    stations: () => events().filter((e) => e.event === 'station').map((e) => ({ id: e.id!, data: JSON.parse(e.data) })),
    waitFor,
    get ended () { return ended },
    done: pump,
    close: async () => { controller.abort(); await pump }
  }
}
