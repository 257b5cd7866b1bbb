// Bounds the QoS 1 publishes awaiting a PUBACK on one client. Without it a backfill of weeks
// would queue every message in the MQTT client's memory at once; with it the simulator sends
// as fast as the broker acknowledges and no faster.

export type PublishWindow = {
  /** Resolves when a slot is free; pair every acquire with one release. */
  acquire (): Promise<void>
  release (): void
  /** Resolves when nothing is in flight. */
  idle (): Promise<void>
  readonly inFlight: number
}

export function createPublishWindow (size: number): PublishWindow {
  if (!Number.isInteger(size) || size < 1) throw new Error('publish window size must be a positive integer')
  let inFlight = 0
  const waiting: Array<() => void> = []
  let idleWaiters: Array<() => void> = []

  return {
    get inFlight () { return inFlight },
    acquire () {
      if (inFlight < size) {
        inFlight++
        return Promise.resolve()
      }
      // The releasing caller hands its slot over directly, so inFlight does not change.
      return new Promise((resolve) => waiting.push(resolve))
    },
    release () {
      const next = waiting.shift()
      if (next !== undefined) {
        next()
        return
      }
      inFlight--
      if (inFlight === 0) {
        const waiters = idleWaiters
        idleWaiters = []
        for (const w of waiters) w()
      }
    },
    idle () {
      return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))
    }
  }
}
