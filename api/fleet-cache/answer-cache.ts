// A bounded cache of computed answers: each entry is valid for one `validity` string (what the
// answer depends on, read before computing it), the least recently used entries go first once
// the bytes exceed maxBytes, and concurrent misses of the same key and validity share one
// computation (a fleet report at 20,000 stations takes a minute: two at once would take two).
export type CacheOutcome = 'hit' | 'miss'

type Entry<T> = { validity: string, value: T, bytes: number }

export type AnswerCache = ReturnType<typeof createAnswerCache>

export function createAnswerCache (opts: { maxBytes: number }) {
  const entries = new Map<string, Entry<unknown>>() // in use order: least recent first
  const computing = new Map<string, { validity: string, promise: Promise<unknown> }>()
  let bytes = 0
  const counts = { hits: 0, misses: 0, evictions: 0 }

  function drop (key: string): void {
    const e = entries.get(key)
    if (!e) return
    entries.delete(key)
    bytes -= e.bytes
  }

  function put<T> (key: string, validity: string, value: T, size: number): void {
    drop(key)
    if (size > opts.maxBytes) return // larger than the whole budget: never kept
    entries.set(key, { validity, value, bytes: size })
    bytes += size
    for (const [k] of entries) {
      if (bytes <= opts.maxBytes) break
      drop(k)
      counts.evictions++
    }
  }

  /** The valid entry of `key`, counted as used; an entry of another validity is dropped. */
  function peek<T> (key: string, validity: string): T | undefined {
    const e = entries.get(key)
    if (!e) return undefined
    if (e.validity !== validity) { drop(key); return undefined }
    entries.delete(key)
    entries.set(key, e) // most recently used
    return e.value as T
  }

  /**
   * The entry of `key` if it was computed for `validity`, else `compute()`'s answer, kept when
   * it says so (`keep`: false for an answer that turned out not cacheable).
   */
  async function get<T> (key: string, validity: string, compute: () => Promise<{ value: T, bytes: number, keep: boolean }>): Promise<{ value: T, outcome: CacheOutcome }> {
    const found = peek<T>(key, validity)
    if (found !== undefined) { counts.hits++; return { value: found, outcome: 'hit' } }
    const running = computing.get(key)
    if (running && running.validity === validity) { counts.hits++; return { value: await running.promise as T, outcome: 'hit' } }
    counts.misses++
    const promise = compute().then((r) => {
      if (r.keep) put(key, validity, r.value, r.bytes)
      return r.value
    })
    computing.set(key, { validity, promise })
    try {
      return { value: await promise, outcome: 'miss' }
    } finally {
      if (computing.get(key)?.promise === promise) computing.delete(key)
    }
  }

  return {
    get,
    peek,
    /** Whether `key` holds an entry for `validity`, without counting it as used. */
    has: (key: string, validity: string) => entries.get(key)?.validity === validity,
    stats: () => ({ entries: entries.size, bytes, maxBytes: opts.maxBytes, ...counts }),
    clear: () => { entries.clear(); bytes = 0 }
  }
}
