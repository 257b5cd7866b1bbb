// A progress line on stderr. On a terminal it redraws in place a few times a second; in a
// pipe or a CI log it prints a plain line every `logEveryMs`, so logs stay readable.

export type ProgressLine = {
  /** fraction 0..1 (or undefined when unknown), and the text after the bar. */
  update (fraction: number | undefined, text: string): void
  /** Final line; stays on screen. */
  done (text: string): void
  /** Erases the bar on a terminal so another line can be printed; the next update redraws it. */
  clear (): void
}

export function createProgress (opts: { label: string, stream?: NodeJS.WriteStream, logEveryMs?: number, width?: number }): ProgressLine {
  const stream = opts.stream ?? process.stderr
  const tty = stream.isTTY === true
  const width = opts.width ?? 28
  const every = tty ? 150 : (opts.logEveryMs ?? 10_000)
  let last = 0
  let drawn = false

  const bar = (f: number | undefined): string => {
    if (f === undefined) return ''
    const x = Math.min(1, Math.max(0, f))
    const full = Math.round(x * width)
    return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(x * 100).toFixed(1).padStart(5)}% `
  }
  const line = (f: number | undefined, text: string) => `${opts.label} ${bar(f)}${text}`

  return {
    update (fraction, text) {
      const now = Date.now()
      if (now - last < every) return
      last = now
      if (tty) {
        // Clip to the terminal so the redraw never wraps.
        const cols = stream.columns ?? 120
        stream.write(`\r\x1b[2K${line(fraction, text).slice(0, cols - 1)}`)
        drawn = true
      } else {
        stream.write(`${line(fraction, text)}\n`)
      }
    },
    clear () {
      if (!tty || !drawn) return
      stream.write('\r\x1b[2K')
      drawn = false
      last = 0
    },
    done (text) {
      stream.write(`${tty && drawn ? '\r\x1b[2K' : ''}${opts.label} ${text}\n`)
      drawn = false
    }
  }
}

export function formatCount (n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`
  return String(n)
}
