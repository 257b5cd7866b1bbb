import type { Counter } from 'prom-client'

/**
 * A `channel`-labelled counter with its children resolved once: `counter.inc({ channel })`
 * hashes the label set on every call, which showed in the hot path's profile.
 */
export function channelCounters (counter: Counter<'channel'> | undefined): (channel: string) => void {
  if (counter === undefined) return () => {}
  const children = new Map<string, { inc: () => void }>()
  return (channel) => {
    let child = children.get(channel)
    if (child === undefined) {
      child = counter.labels({ channel })
      children.set(channel, child)
    }
    child.inc()
  }
}
