// Every string of the web app goes through vue-i18n, zh-CN and English: en.ts and zh-CN.ts
// have the same keys (the type check enforces it), and this test checks the other side,
// that each key the components ask for exists. vue-i18n's `t` is not typed by key, and a
// missing key renders as the key itself (e.g. "fleet.col.visits") in a production build,
// silently. Literal keys must resolve to a string; a template key (`state.${s}`) must have
// its fixed prefix resolve to a group of messages.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, test } from 'vitest'
import en from '../web/src/i18n/en.ts'
import zhCN from '../web/src/i18n/zh-CN.ts'

const SRC = join(import.meta.dirname, '..', 'web', 'src')

function files (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'i18n' ? [] : files(path)
    return /\.(vue|ts)$/.test(name) ? [path] : []
  })
}

type Use = { key: string, prefix: boolean, where: string }

// t('a.b'), $t("a.b"), t(`a.b`), i18n.global.t('a.b'), te('a.b'); and t(`a.${x}`) as a prefix.
const CALL = /(?<![\w.])(?:\$?t|te|tm|rt)\(\s*(?:'([^']+)'|"([^"]+)"|`([^`]*)`)/g

function uses (): Use[] {
  const out: Use[] = []
  for (const path of files(SRC)) {
    const text = readFileSync(path, 'utf8')
    for (const m of text.matchAll(CALL)) {
      const line = text.slice(0, m.index).split('\n').length
      const where = `${relative(SRC, path)}:${line}`
      const raw = m[1] ?? m[2] ?? m[3]!
      const dollar = raw.indexOf('${')
      if (dollar === -1) out.push({ key: raw, prefix: false, where })
      else {
        const fixed = raw.slice(0, dollar)
        // Only a whole leading path is checkable: `fleet.col.${c}` -> fleet.col
        if (fixed.endsWith('.')) out.push({ key: fixed.slice(0, -1), prefix: true, where })
      }
    }
  }
  return out
}

function lookup (messages: unknown, key: string): unknown {
  let node: unknown = messages
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return node
}

const all = uses()

describe('web app i18n keys', () => {
  test('finds the keys the components use (the scan works)', () => {
    expect(all.length).toBeGreaterThan(300)
    expect(all.some((u) => u.prefix)).toBe(true)
  })

  for (const [locale, messages] of [['en', en], ['zh-CN', zhCN]] as const) {
    test(`every key used exists in ${locale}`, () => {
      const missing = all.filter((u) => {
        const v = lookup(messages, u.key)
        return u.prefix ? (v === null || typeof v !== 'object') : typeof v !== 'string'
      }).map((u) => `${u.where}: ${u.key}${u.prefix ? '.*' : ''}`)
      expect(missing).toEqual([])
    })
  }
})
