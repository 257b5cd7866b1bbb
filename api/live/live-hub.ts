// The live event log: every pushed station state gets a global sequence number, is kept in a
// bounded ring for resuming clients, and is handed to each subscriber that wants it. Event
// ids are `<epoch>-<seq>`: the epoch changes with every process (and every hub), so an id
// from before a restart is recognised as such and answered with a snapshot, never with the
// wrong events.
import { randomBytes } from 'node:crypto'
import type { StationLive } from './schemas.ts'
import { summarise } from './summary.ts'

export type LiveEvent = {
  readonly seq: number
  readonly id: string
  readonly stationId: string
  readonly district: string
  /** The StationLive JSON. */
  readonly data: string
  /** The StationLiveSummary JSON (for /live/stream?view=summary), made on first use. */
  summary (): string
}

export type Subscriber = {
  wants (stationId: string, district: string): boolean
  push (event: LiveEvent): void
}

export type LiveHubOptions = { ringSize?: number }

export function createLiveHub (opts: LiveHubOptions = {}) {
  const size = opts.ringSize ?? 4096
  const epoch = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
  const ring: Array<LiveEvent | undefined> = new Array(size)
  let seq = 0
  const subscribers = new Set<Subscriber>()
  let pushed = 0

  function publish (view: StationLive): LiveEvent {
    seq++
    let summary: string | undefined
    const event: LiveEvent = {
      seq,
      id: `${epoch}-${seq}`,
      stationId: view.stationId,
      district: view.district,
      data: JSON.stringify(view),
      // Lazily: no cost on ingest's path while no client streams summaries.
      summary: () => (summary ??= JSON.stringify(summarise(view)))
    }
    ring[seq % size] = event
    for (const s of subscribers) {
      if (s.wants(event.stationId, event.district)) { s.push(event); pushed++ }
    }
    return event
  }

  /**
   * The events after `lastEventId` that `wants` accepts, or null when they cannot all be told
   * (an id of another process, from the future, malformed, or older than the ring).
   */
  function since (lastEventId: string, wants: Subscriber['wants']): LiveEvent[] | null {
    const m = /^([a-z0-9]+)-(\d{1,15})$/.exec(lastEventId)
    if (!m || m[1] !== epoch) return null
    const after = Number(m[2])
    if (after > seq) return null
    // The ring holds seq-size+1 .. seq; resuming needs every event from after+1 on.
    if (after < seq - size) return null
    const out: LiveEvent[] = []
    for (let i = after + 1; i <= seq; i++) {
      const e = ring[i % size]!
      if (wants(e.stationId, e.district)) out.push(e)
    }
    return out
  }

  return {
    epoch,
    publish,
    since,
    /** The id of the last event, the position a snapshot taken now stands for. */
    currentId: () => `${epoch}-${seq}`,
    subscribe (s: Subscriber): () => void {
      subscribers.add(s)
      return () => { subscribers.delete(s) }
    },
    subscribers: () => subscribers.size,
    stats: () => ({ seq, pushed, subscribers: subscribers.size })
  }
}

export type LiveHub = ReturnType<typeof createLiveHub>
