import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { stat } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { axeViolations, launchBrowser, newPage, renderedFonts, screenshot, takeProblems, type LaunchedBrowser, type PageProblem } from './support/browser.ts'

// The browser-test machinery itself: Chromium starts, Chinese renders with a real CJK font
// (not tofu boxes), axe finds what it should, and console errors, uncaught exceptions and CSP
// violations are caught. Served by a tiny local server so that a real CSP header applies.

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'"
const html = (body: string, lang = 'zh-CN') =>
  `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>驿站测试</title></head><body>${body}</body></html>`
const PAGES: Record<string, { type: string, body: string }> = {
  '/zh': { type: 'text/html', body: html('<main><h1 id="zh" style="font-family: sans-serif; font-size: 40px">驿站 户外劳动者服务站</h1></main>') },
  '/contrast': { type: 'text/html', body: html('<main><h1>驿站</h1><p id="faint" style="color: #bbbbbb; background: #ffffff">今日访问 123 人次</p></main>') },
  '/clean': { type: 'text/html', body: html('<main><h1>驿站</h1><p style="color: #1a1a1a; background: #ffffff">今日访问 123 人次</p><button type="button">刷新</button></main>') },
  '/unlabelled': { type: 'text/html', body: html('<main><h1>驿站</h1><p style="color: #cccccc">浅色文字</p><input type="text"></main>') },
  '/errors': { type: 'text/html', body: html('<main><h1>驿站</h1><script src="/errors.js"></script></main>') },
  '/errors.js': { type: 'text/javascript', body: "console.error('boom from the page'); setTimeout(() => { throw new Error('uncaught in the page') }, 0)" },
  '/csp': { type: 'text/html', body: html("<main><h1>驿站</h1><script>document.title = 'inline ran'</script></main>") }
}

let browser: LaunchedBrowser
let server: Server
let base: string

beforeAll(async () => {
  server = createServer((req, res) => {
    const page = PAGES[req.url ?? '']
    // No favicon: Chromium asks for one, and a 404 would be a console error like any other.
    if (req.url === '/favicon.ico') { res.writeHead(204).end(); return }
    if (page === undefined) { res.writeHead(404).end(); return }
    res.writeHead(200, { 'content-type': `${page.type}; charset=utf-8`, 'content-security-policy': CSP }).end(page.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await launchBrowser()
  console.error(`[browser-smoke] Chromium ${browser.version()} launched in ${Math.round(browser.launchMs)} ms`)
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
})

describe('Chromium with CJK fonts', () => {
  test('renders Chinese with a CJK font, not tofu boxes, and saves a screenshot', async () => {
    const page = await newPage(browser)
    await page.goto(`${base}/zh`)
    const fonts = await renderedFonts(page, '#zh')
    const cjk = fonts.filter((f) => /CJK|Hei|Song|Ming|Gothic|WenQuanYi/i.test(f.familyName))
    expect(cjk.reduce((n, f) => n + f.glyphCount, 0), `fonts used: ${JSON.stringify(fonts)}`).toBeGreaterThanOrEqual(9)

    // Independent of font names: draw glyphs on a canvas. Two characters no font has (plane 16
    // private use) give the same box, which shows this comparison can detect tofu; 驿 and 站
    // must differ from each other and from that box.
    const drawn = await page.evaluate(() => {
      type Canvas = { width: number, height: number, toDataURL (): string, getContext (k: '2d'): { font: string, fillText (t: string, x: number, y: number): void, measureText (t: string): { width: number } } }
      const { document } = globalThis as unknown as { document: { createElement (tag: 'canvas'): Canvas } }
      const draw = (ch: string) => {
        const c = document.createElement('canvas')
        c.width = 64
        c.height = 64
        const g = c.getContext('2d')
        g.font = '48px sans-serif'
        g.fillText(ch, 4, 52)
        return { data: c.toDataURL(), width: g.measureText(ch).width }
      }
      return { yi: draw('驿'), zhan: draw('站'), box1: draw('\u{10FFFD}'), box2: draw('\u{10FFFC}') }
    })
    expect(drawn.box1.data).toBe(drawn.box2.data)
    expect(drawn.yi.data).not.toBe(drawn.zhan.data)
    expect(drawn.yi.data).not.toBe(drawn.box1.data)
    expect(drawn.yi.width).toBeGreaterThan(40) // a CJK glyph is one em wide

    const file = await screenshot(page, 'browser-smoke-zh')
    expect((await stat(file)).size).toBeGreaterThan(1000)
  })
})

describe('axe-core helper', () => {
  test('finds a contrast violation, under the page\'s CSP', async () => {
    const page = await newPage(browser)
    await page.goto(`${base}/contrast`)
    const violations = await axeViolations(page)
    expect(violations.map((v) => v.id)).toContain('color-contrast')
    expect(violations.find((v) => v.id === 'color-contrast')!.targets).toEqual(['#faint'])
  })

  test('finds nothing on an accessible page', async () => {
    const page = await newPage(browser)
    await page.goto(`${base}/clean`)
    expect(await axeViolations(page)).toEqual([])
  })

  test('runs only the rules asked for', async () => {
    const page = await newPage(browser)
    await page.goto(`${base}/unlabelled`)
    expect((await axeViolations(page)).map((v) => v.id).sort()).toEqual(['color-contrast', 'label'])
    expect((await axeViolations(page, { rules: ['label', 'button-name'] })).map((v) => v.id)).toEqual(['label'])
  })
})

describe('page problems', () => {
  const waitForProblems = async (page: Parameters<typeof takeProblems>[0], count: number) => {
    const seen: PageProblem[] = []
    for (let i = 0; i < 100 && seen.length < count; i++) {
      seen.push(...takeProblems(page))
      if (seen.length < count) await page.waitForTimeout(100)
    }
    return seen
  }

  test('reports console errors and uncaught exceptions', async () => {
    const page = await newPage(browser)
    await page.goto(`${base}/errors`)
    const seen = await waitForProblems(page, 2)
    expect(seen).toEqual(expect.arrayContaining([
      { kind: 'console', text: 'boom from the page', url: `${base}/errors.js` },
      { kind: 'pageerror', text: expect.stringContaining('uncaught in the page') }
    ]))
  })

  test('reports a Content-Security-Policy violation', async () => {
    const page = await newPage(browser)
    await page.goto(`${base}/csp`)
    const seen = await waitForProblems(page, 1)
    expect(seen).toEqual([expect.objectContaining({ kind: 'csp', text: expect.stringContaining("script-src 'self'") })])
    expect(await page.title()).toBe('驿站测试') // the inline script did not run
  })
})
