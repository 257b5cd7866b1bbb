// bench/lib/results-section.ts: a bench rewrites only its own generated section of RESULTS.md.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { writeResultsSection } from '../bench/lib/results-section.ts'

const S = '<!-- x:start -->'
const E = '<!-- x:end -->'
const dir = mkdtempSync(join(tmpdir(), 'results-section-'))
const file = join(dir, 'RESULTS.md')
afterEach(() => rmSync(file, { force: true }))

test('replaces only the text between its markers', () => {
  writeFileSync(file, `# R\n\nhand notes\n${S}\nold\n${E}\nmore notes\n`)
  writeResultsSection(file, S, E, `${S}\nnew\n${E}`)
  expect(readFileSync(file, 'utf8')).toBe(`# R\n\nhand notes\n${S}\nnew\n${E}\nmore notes\n`)
})

test('without markers: after the given line, else at the end under its heading; a missing file gets a title', () => {
  writeFileSync(file, '# R\n<!-- y:end -->\ntail\n')
  writeResultsSection(file, S, E, `${S}\na\n${E}`, { after: '<!-- y:end -->' })
  expect(readFileSync(file, 'utf8')).toBe(`# R\n<!-- y:end -->\n${S}\na\n${E}\ntail\n`)
  writeFileSync(file, '# R\n')
  writeResultsSection(file, S, E, `${S}\nb\n${E}`, { after: '<!-- absent -->', heading: 'Bench' })
  expect(readFileSync(file, 'utf8')).toBe(`# R\n\n## Bench\n\n${S}\nb\n${E}\n`)
  rmSync(file)
  writeResultsSection(file, S, E, `${S}\nc\n${E}`)
  expect(readFileSync(file, 'utf8')).toBe(`# Benchmark results\n\n${S}\nc\n${E}\n`)
})
