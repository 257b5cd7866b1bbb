import type { AnyEvent } from '../contract/index.ts'

// The compact building blocks of a day's message stream (day-events.ts). A fleet holds the
// current day of every station, so what it keeps per message matters: a timeline is two typed
// arrays (12 bytes a message) where a list of drafts cost an object and a closure each
// (~150 bytes; 10,000 stations held 1.2 GB of them).

/** Times and codes (what the message is; its meaning is up to the owner), sorted by (ts, rank). */
export type Timeline = { readonly length: number, readonly ts: Float64Array, readonly code: Int32Array }

/**
 * Collects (ts, rank, code) and sorts them by ts, then rank; equal keys keep the order they were
 * pushed in, exactly as a stable sort of a list of drafts did.
 */
export function timelineBuilder () {
  const ts: number[] = []
  const rank: number[] = []
  const code: number[] = []
  return {
    push (t: number, r: number, c: number): void {
      ts.push(t)
      rank.push(r)
      code.push(c)
    },
    build (): Timeline {
      const order = Array.from(ts, (_, i) => i)
      order.sort((a, b) => ts[a]! - ts[b]! || rank[a]! - rank[b]! || a - b)
      return {
        length: order.length,
        ts: Float64Array.from(order, (i) => ts[i]!),
        code: Int32Array.from(order, (i) => code[i]!)
      }
    }
  }
}

/**
 * One device role's messages of the day (door, sensors or shelf), one at a time. `headTs` is
 * the next message's time (Infinity when the day is done), already nudged so that a role's
 * messages have strictly increasing ts (equal instants are moved on by 1 ms).
 */
export type RoleStream = {
  headTs: number
  /** Build the next message with this device id and seq, and move on. */
  emit (device: string, seq: number): AnyEvent
  /** Move on without building the message (it is before the stream's start): stateful sources stay right. */
  skip (): void
}

/** `ts` nudged after the role's previous message at `last` (-Infinity before the first). */
export const nudge = (ts: number, last: number): number => Math.max(ts, last + 1)
