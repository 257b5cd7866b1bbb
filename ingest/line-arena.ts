// Where queued lines live until InfluxDB has them: appended, as UTF-8, to large shared chunks
// the moment they are queued, so a write's body is usually one slice of a chunk, with no copy.
// Encoding each line while it is fresh matters: lines are built by concatenation, and turning
// a thousand such strings into one body only at write time (join, or encoding them one by one)
// cost 5-9% of the whole process once they had aged in the queue. A chunk is never written to
// again once full, so a body in flight (or waiting for a retry) stays valid; the chunk is freed
// by the garbage collector when the last entry pointing into it is settled.

/** A line (or several, '\n'-separated) in a chunk, with its terminating '\n'. */
export type Span = { chunk: Buffer, start: number, end: number }

const CHUNK_BYTES = 1 << 20

export function createLineArena (chunkBytes = CHUNK_BYTES) {
  let chunk: Buffer = Buffer.allocUnsafe(0)
  let used = 0

  /** Appends `text` and a '\n'; the span covers both. */
  function append (text: string): Span {
    // UTF-8 needs at most 3 bytes per UTF-16 unit; most lines are ASCII and take 1.
    const worst = text.length * 3 + 1
    if (used + worst > chunk.length) {
      chunk = Buffer.allocUnsafe(Math.max(chunkBytes, worst))
      used = 0
    }
    const start = used
    used += chunk.write(text, used)
    chunk[used++] = 10
    return { chunk, start, end: used }
  }

  return { append }
}

/**
 * One request body for consecutive spans, without the final '\n'. Spans appended one after
 * another to the same chunk are already that body; otherwise (a chunk boundary, a bisected
 * batch) they are copied together.
 */
export function joinSpans (spans: ReadonlyArray<Span>): Uint8Array {
  const first = spans[0]!
  let contiguous = true
  let size = 0
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!
    size += s.end - s.start
    if (i > 0 && (s.chunk !== first.chunk || s.start !== spans[i - 1]!.end)) contiguous = false
  }
  if (contiguous) return first.chunk.subarray(first.start, spans[spans.length - 1]!.end - 1)
  const body = Buffer.allocUnsafe(size)
  let off = 0
  for (const s of spans) off += s.chunk.copy(body, off, s.start, s.end)
  return body.subarray(0, size - 1)
}
