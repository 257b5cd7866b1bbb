// Bounds the QoS 1 publishes awaiting a PUBACK on one client. Without it a backfill of weeks
// would queue every message in the MQTT client's memory at once; with it the simulator sends
// as fast as the broker acknowledges and no faster.

export type PublishWindow = {
  /** Resolves when a slot is free; pair every acquire with one release. */
  acquire (): Promise<void>
  /** Takes a slot if one is free now (and nobody waits for one); pair with one release. */
  tryAcquire (): boolean
  /**
   * Resolves once a slot is free, without taking it; at most once per event-loop turn, after
   * the I/O callbacks of that turn: PUBACKs arriving on many connections in one turn then free
   * their slots together, and the publishes that refill them go out as one burst (the device
   * clients cork their socket until the next tick, so a burst is one write per connection).
   */
  whenFree (): Promise<void>
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
  let freeWaiter: (() => void) | undefined
  let wakeScheduled = false
  const wake = () => {
    wakeScheduled = false
    const w = freeWaiter
    freeWaiter = undefined
    w?.()
  }

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
    tryAcquire () {
      if (inFlight >= size || waiting.length > 0) return false
      inFlight++
      return true
    },
    whenFree () {
      if (inFlight < size) return Promise.resolve()
      return new Promise((resolve) => { freeWaiter = resolve })
    },
    release () {
      const next = waiting.shift()
      if (next !== undefined) {
        next()
        return
      }
      inFlight--
      if (freeWaiter !== undefined && !wakeScheduled) {
        wakeScheduled = true
        setImmediate(wake)
      }
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
