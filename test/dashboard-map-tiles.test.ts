// The fleet map in real Chromium against the real stack. Without WEB_MAP_TILE_URL: no request
// leaves the API's origin, the legend's items do not overlap in zh-CN, and a tab whose session
// was ended by a sign-out in another tab says so (not "expired"). With a GCJ-02 tile layer
// served by a local tile server: the map asks for the tiles the Web-Mercator arithmetic
// predicts, and a WGS-84 station's marker is drawn where its converted position falls on
// those tiles, also after zooming and panning.
import { createServer, type Server } from 'node:http'
import { crc32, deflateSync } from 'node:zlib'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { STATE_COLOURS } from '../web/src/components/stateColors.ts'
import { wgs84ToGcj02 } from '../web/src/map/datum.ts'
import { tileAt, toWorld } from '../web/src/map/tile-math.ts'
import { launchBrowser, newPage, takeProblems, formatProblems, type LaunchedBrowser } from './support/browser.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

let browser: LaunchedBrowser
beforeAll(async () => { browser = await launchBrowser() }, 120_000)
afterAll(async () => { await browser?.close() })

async function signIn (page: Page, apiUrl: string, token: string, locale = 'zh-CN') {
  await page.goto(`${apiUrl}/#/sign-in`)
  if (locale !== 'zh-CN') await page.getByTestId('lang-switch').selectOption(locale)
  await page.getByTestId('token-input').fill(token)
  await page.getByTestId('sign-in-submit').click()
  await page.getByTestId('sign-out').waitFor({ timeout: 30_000 })
  claim401s(page)
}

/** The 401 Chromium logs for GET /session before sign-in (or after a session ended) is expected. */
function claim401s (page: Page) {
  const left = takeProblems(page).filter((p) => !(p.kind === 'console' && /status of 401/.test(p.text)))
  if (left.length > 0) throw new Error(`unexpected page problems:\n${formatProblems(left)}`)
}

type Rgb = [number, number, number]
const rgb = (hex: string): Rgb => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb

/**
 * Reads the map's chart canvas in the page (its pixels stay there): for each colour, the
 * blobs of it within rows [y0, y1) (CSS px from the canvas' top) as page coordinates of their
 * centres and their leftmost column, and for each column of that band whether anything is
 * drawn in it (not transparent, not near-white).
 */
async function readCanvas (page: Page, colours: Rgb[], y0: number, y1: number, tol = 10) {
  return await page.getByTestId('fleet-map').locator('canvas').first().evaluate((c, [colours, y0, y1, tol]) => {
    const canvas = c as HTMLCanvasElement
    const r = canvas.getBoundingClientRect()
    const scale = r.width / canvas.width // CSS px per canvas px
    const top = Math.max(0, Math.round(y0 / scale))
    const bottom = Math.min(canvas.height, Math.round(y1 / scale))
    const d = canvas.getContext('2d')!.getImageData(0, top, canvas.width, bottom - top).data
    const ink = new Array<boolean>(canvas.width).fill(false)
    const blobs = colours.map(() => [] as Array<{ sx: number, sy: number, n: number, minX: number }>)
    for (let y = 0; y < bottom - top; y++) {
      for (let x = 0; x < canvas.width; x++) {
        const i = (y * canvas.width + x) * 4
        const [R, G, B, A] = [d[i]!, d[i + 1]!, d[i + 2]!, d[i + 3]!]
        if (A > 40 && (R < 215 || G < 215 || B < 215)) ink[x] = true
        colours.forEach((col, k) => {
          if (A < 200 || Math.abs(R - col[0]) > tol || Math.abs(G - col[1]) > tol || Math.abs(B - col[2]) > tol) return
          const list = blobs[k]!
          const b = list.find((o) => Math.hypot(o.sx / o.n - x, o.sy / o.n - y) < 12 / scale)
          if (b) { b.sx += x; b.sy += y; b.n++; b.minX = Math.min(b.minX, x) } else list.push({ sx: x, sy: y, n: 1, minX: x })
        })
      }
    }
    return {
      scale,
      ink,
      blobs: blobs.map((list) => list.map((b) => ({ x: r.left + (b.sx / b.n + 0.5) * scale, y: r.top + (top + b.sy / b.n + 0.5) * scale, n: b.n, minX: b.minX })))
    }
  }, [colours, y0, y1, tol] as const)
}

describe('without a tile URL', () => {
  const FLEET = Array.from({ length: 6 }, (_, i) => ({ id: `nt-${i + 1}`, name: `驿站 ${i + 1}`, district: '福田区', lat: 22.52 + i * 0.01, lon: 114.02 + i * 0.013, timezone: 'Asia/Shanghai' }))
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack()
    for (const s of FLEET) await stack.addStation(s)
  }, 120_000)
  afterAll(async () => { await stack?.stop() })

  test('the map makes no request beyond the API origin and /web-config says no tiles', async () => {
    const page = await newPage(browser)
    const origins = new Set<string>()
    page.on('request', (r) => { origins.add(new URL(r.url()).origin) })
    await signIn(page, stack.apiUrl, stack.tokens.secrets.viewer)
    await page.waitForSelector(`[data-testid=fleet-map][data-markers="${FLEET.length}"]`, { timeout: 30_000 })
    expect(await page.evaluate(async () => (await (await fetch('/web-config')).json()))).toEqual({ map: { tiles: null } })
    await page.waitForTimeout(500) // a tile layer would have asked by now
    expect([...origins]).toEqual([stack.apiUrl])
    expect(await page.getByTestId('map-tiles').count()).toBe(0)
  })

  // The legend's labels are measured by zrender on a canvas outside the document and drawn on
  // the chart's canvas inside it; in zh-CN Chromium drew "·" of "开放·空闲" 3× wider than
  // measured, and the label ran into the next item's symbol (docs/screenshots/fleet-zh.png).
  for (const locale of ['zh-CN', 'en']) {
    test(`the legend's items keep their gap in ${locale}`, async () => {
      const page = await newPage(browser, { locale })
      await signIn(page, stack.apiUrl, stack.tokens.secrets.viewer, locale)
      await page.waitForSelector(`[data-testid=fleet-map][data-markers="${FLEET.length}"]`, { timeout: 30_000 })
      await page.waitForTimeout(300)
      const states = ['busy', 'full', 'offline'] as const
      const read = await readCanvas(page, states.map((st) => rgb(STATE_COLOURS[st])), 0, 28, 6)
      // ECharts leaves itemGap (10 px) and the symbol box's margin (~5 px) between a label and
      // the next symbol (11-12 px of blank measured; 4 px when the label overran it): from
      // the symbol's left edge (past its anti-aliased rim) back to the label's last ink.
      states.forEach((state, k) => {
        const symbol = read.blobs[k]![0]
        expect(symbol, `legend symbol of ${state}`).toBeDefined()
        let x = symbol!.minX - Math.ceil(2 / read.scale)
        while (x > 0 && !read.ink[x]) x--
        const gap = (symbol!.minX - x) * read.scale
        expect(gap, `blank pixels before the legend symbol of ${state}`).toBeGreaterThanOrEqual(8)
      })
    })
  }

  test('a sign-out in another tab: this tab says it was signed out, not that the session expired', async () => {
    for (const [locale, words] of [['en', /signed out/i], ['zh-CN', /退出登录/]] as const) {
      const page = await newPage(browser, { locale })
      await signIn(page, stack.apiUrl, stack.tokens.secrets.viewer, locale)
      const other = await page.context().newPage() // a second tab: same cookies
      await other.goto(`${stack.apiUrl}/#/`)
      await other.getByTestId('sign-out').click()
      await other.getByTestId('sign-in-form').waitFor({ timeout: 30_000 })
      // This tab learns at its next request (here a navigation; else the live stream's check).
      await page.getByTestId('nav-fleet-analytics').click()
      await page.getByTestId('sign-in-form').waitFor({ timeout: 30_000 })
      const reason = await page.getByTestId('sign-in-reason').textContent()
      expect(reason).toMatch(words)
      expect(reason).not.toMatch(/expired|过期/)
      claim401s(page)
    }
  })
})
