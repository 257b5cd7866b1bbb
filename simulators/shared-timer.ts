// One coarse interval timer shared by every MQTT client of a fleet. MQTT.js gives each client
// a keepalive interval and re-arms it on every packet it sends or receives; with 10,000
// clients publishing thousands of messages per second that is 10,000 live timers and a
// clearInterval/setInterval pair per packet. Passed as MQTT.js's `timerVariant`, this keeps
// the entries in one Map and checks them once per tick, which is plenty for keepalives of
// tens of seconds.

export type SharedTimer = {
  /** setInterval semantics, for MQTT.js `timerVariant`. */
  set (callback: () => void, ms: number): number
  clear (id: number | null | undefined): void
  readonly size: number
  close (): void
}

type Entry = { callback: () => void, every: number, due: number }

export function createSharedTimer (tickMs = 1000): SharedTimer {
  const entries = new Map<number, Entry>()
  let nextId = 1
  let ticker: NodeJS.Timeout | undefined

  const tick = (): void => {
    const now = Date.now()
    for (const [id, e] of entries) {
      if (e.due > now) continue
      e.due = now + e.every
      try {
        e.callback()
      } catch {
        entries.delete(id)
      }
    }
  }

  return {
    set (callback, ms) {
      const id = nextId++
      entries.set(id, { callback, every: Math.max(ms, tickMs), due: Date.now() + ms })
      // unref: keepalives alone must not keep a finished fleet process alive.
      ticker ??= setInterval(tick, tickMs).unref()
      return id
    },
    clear (id) {
      if (id !== null && id !== undefined) entries.delete(id)
    },
    get size () { return entries.size },
    close () {
      if (ticker !== undefined) clearInterval(ticker)
      ticker = undefined
      entries.clear()
    }
  }
}
