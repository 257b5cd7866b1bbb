// Each bench writes its own generated section of bench/RESULTS.md between a start and an end
// marker, leaving the rest (hand-written analysis, other benches' sections) as it is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

/**
 * Puts `block` (which begins with `start` and ends with `end`) in place of the text between
 * the markers; a file without them gets the block after the line `after` when given and
 * present, else at its end (under `## heading` when given). A missing file is created with a title.
 */
export function writeResultsSection (file: string, start: string, end: string, block: string, opts: { after?: string, heading?: string } = {}): void {
  const { after, heading } = opts
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n'
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  let out: string
  if (i >= 0 && j > i) out = text.slice(0, i) + block + text.slice(j + end.length)
  else {
    const k = after === undefined ? -1 : text.indexOf(after)
    out = k >= 0 ? `${text.slice(0, k + after!.length)}\n${block}${text.slice(k + after!.length)}` : `${text.trimEnd()}\n\n${heading ? `## ${heading}\n\n` : ''}${block}\n`
  }
  writeFileSync(file, out)
}
