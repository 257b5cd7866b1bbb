// Real Chromium for the browser tests: Debian's chromium (or CHROMIUM_PATH) driven by
// playwright-core, installed with its CJK fonts when missing (scripts/chromium.ts). One launch
// per test file (beforeAll), one context + page per test (newPage).
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { onTestFinished } from 'vitest'
import { launchChromium, type LaunchedBrowser } from '../../scripts/chromium.ts'

const ROOT = join(import.meta.dirname, '..', '..')
/** Git-ignored (.tmp/): look at them, e.g. a zh-CN page, before trusting a rendering. */
export const SCREENSHOT_DIR = join(ROOT, '.tmp', 'screenshots')

export type { LaunchedBrowser }

/** One per test file, in beforeAll; close it in afterAll. */
export function launchBrowser (): Promise<LaunchedBrowser> {
  return launchChromium((line) => console.error(`[chromium] ${line}`))
}

/** A console error, an uncaught exception or a Content-Security-Policy violation. */
export type PageProblem = { kind: 'console' | 'pageerror' | 'csp', text: string, url?: string }

const problems = new WeakMap<Page, PageProblem[]>()

export type NewPageOptions = {
  locale?: string // default zh-CN, the dashboard's first language
  viewport?: { width: number, height: number } // default 1280 × 800
  timezoneId?: string // default Asia/Shanghai
}

/**
 * A page in a fresh context that records every console error, uncaught exception and CSP
 * violation. Opened inside a test, the test fails when it finishes with any left unclaimed;
 * a test that expects some takes them with takeProblems(page).
 */
export async function newPage (browser: Browser, opts: NewPageOptions = {}): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
    locale: opts.locale ?? 'zh-CN',
    timezoneId: opts.timezoneId ?? 'Asia/Shanghai',
    viewport: opts.viewport ?? { width: 1280, height: 800 }
  })
  const page = await context.newPage()
  const list: PageProblem[] = []
  problems.set(page, list)
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    // Chromium reports every CSP violation (report-only ones too) as a console error: keep
    // them apart, they mean a policy the dashboard must respect rather than a bug in a script.
    const text = msg.text()
    // A failed request's message ("Failed to load resource: … 404") names no URL; its location does.
    const url = msg.location().url || undefined
    list.push({ kind: /Content Security Policy/i.test(text) ? 'csp' : 'console', text, ...(url ? { url } : {}) })
  })
  page.on('pageerror', (err) => list.push({ kind: 'pageerror', text: err.stack ?? err.message }))
  try {
    onTestFinished(async () => {
      const left = takeProblems(page)
      await context.close()
      if (left.length > 0) throw new Error(`the page reported ${left.length} problem(s):\n${formatProblems(left)}`)
    })
  } catch {
    // Opened outside a test (beforeAll): the caller checks takeProblems() and closes it.
  }
  return page
}

/** The problems recorded so far (and forgets them, so that they do not fail the test). */
export function takeProblems (page: Page): PageProblem[] {
  const list = problems.get(page)
  if (list === undefined) throw new Error('not a page from newPage()')
  return list.splice(0)
}

export const formatProblems = (list: PageProblem[]) => list.map((p) => `  [${p.kind}] ${p.text}${p.url ? ` (${p.url})` : ''}`).join('\n')

/** Saves a full-page PNG under .tmp/screenshots/<name>.png and returns its path. */
export async function screenshot (page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true })
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** The font files Chromium actually used to draw the text of the first node matching selector. */
export async function renderedFonts (page: Page, selector: string): Promise<Array<{ familyName: string, glyphCount: number }>> {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('DOM.enable')
    await cdp.send('CSS.enable')
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 })
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector })
    if (!nodeId) throw new Error(`no element matches ${selector}`)
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId })
    return fonts.map((f) => ({ familyName: f.familyName, glyphCount: f.glyphCount }))
  } finally {
    await cdp.detach()
  }
}

// WCAG 2.0/2.1 A and AA: colour contrast, labels, button and link names, lang, …
export const WCAG_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

export type AxeOptions = {
  /** Run only these rule ids (e.g. ['color-contrast', 'label', 'button-name']); default: the WCAG 2 AA tags. */
  rules?: string[]
  tags?: string[]
  /** CSS selector of the part of the page to check; default the whole document. */
  include?: string
}
export type AxeViolation = { id: string, impact: string | null, help: string, targets: string[] }

let axeSource: Promise<string> | undefined

/**
 * Runs axe-core in the page and returns its violations. The script is evaluated through the
 * DevTools protocol rather than added as a <script> element: the API's Content-Security-Policy
 * forbids inline scripts, and the page under test must keep its real policy.
 */
export async function axeViolations (page: Page, opts: AxeOptions = {}): Promise<AxeViolation[]> {
  axeSource ??= readFile(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8')
  if (!await page.evaluate('typeof window.axe === "object"')) await page.evaluate(await axeSource)
  const runOnly = opts.rules ? { type: 'rule', values: opts.rules } : { type: 'tag', values: opts.tags ?? WCAG_AA_TAGS }
  return page.evaluate(async ({ runOnly, include }) => {
    type AxeResult = { violations: Array<{ id: string, impact: string | null, help: string, nodes: Array<{ target: unknown[] }> }> }
    // No DOM lib in the tests' tsconfig: the page's globals are reached through globalThis.
    const { axe, document } = globalThis as unknown as { axe: { run (ctx: unknown, o: unknown): Promise<AxeResult> }, document: unknown }
    const result = await axe.run(include ?? document, { runOnly, resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }))
  }, { runOnly, include: opts.include })
}

export const formatViolations = (list: AxeViolation[]) => list.map((v) => `  ${v.id} (${v.impact}): ${v.help} — ${v.targets.join(', ')}`).join('\n')
