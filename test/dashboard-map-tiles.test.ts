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
    type Canvas = { width: number, height: number, getBoundingClientRect (): { left: number, top: number, width: number }, getContext (k: '2d'): { getImageData (x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
    const canvas = c as unknown as Canvas
    const r = canvas.getBoundingClientRect()
    const scale = r.width / canvas.width // CSS px per canvas px
    const top = Math.max(0, Math.round(y0 / scale))
    const bottom = Math.min(canvas.height, Math.round(y1 / scale))
    const d = canvas.getContext('2d').getImageData(0, top, canvas.width, bottom - top).data
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

/** A solid 256 × 256 RGB PNG. */
function solidPng (colour: Rgb): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([len, body, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(256, 0)
  ihdr.writeUInt32BE(256, 4)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8 bits, RGB, deflate, no filter, no interlace
  const row = Buffer.alloc(1 + 256 * 3)
  for (let x = 0; x < 256; x++) row.set(colour, 1 + x * 3)
  const raw = Buffer.concat(Array.from({ length: 256 }, () => row))
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

describe('with a GCJ-02 tile layer', () => {
  // A WGS-84 station (the default) and one whose position was taken from AMap (GCJ-02).
  const WGS = { id: 'tl-wgs', name: '市民中心驿站', district: '福田区', lat: 22.5431, lon: 114.0579, timezone: 'Asia/Shanghai' }
  const GCJ = { id: 'tl-gcj', name: '华强北驿站', district: '福田区', lat: 22.5466, lon: 114.0892, datum: 'gcj02' as const, timezone: 'Asia/Shanghai' }
  const MAX_ZOOM = 17
  const requests: string[] = []
  let tileServer: Server
  let stack: TestStack

  beforeAll(async () => {
    const tile = solidPng([250, 244, 222])
    tileServer = createServer((req, res) => {
      requests.push(req.url ?? '')
      if (!/^\/\d+\/\d+\/\d+\.png$/.test(req.url ?? '')) { res.writeHead(404).end(); return }
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' }).end(tile)
    })
    await new Promise<void>((resolve) => tileServer.listen(0, '127.0.0.1', resolve))
    const port = (tileServer.address() as { port: number }).port
    stack = await startTestStack({
      WEB_MAP_TILE_URL: `http://127.0.0.1:${port}/{z}/{x}/{y}.png`,
      WEB_MAP_TILE_DATUM: 'gcj02',
      WEB_MAP_TILE_ATTRIBUTION: '© 测试底图',
      WEB_MAP_TILE_MAX_ZOOM: String(MAX_ZOOM)
    })
    await stack.addStation(WGS)
    await stack.addStation(GCJ)
  }, 120_000)
  afterAll(async () => {
    await stack?.stop()
    await new Promise((resolve) => tileServer?.close(resolve))
  })

  /** Where the tile arithmetic puts a position (in the tiles' datum) on the page, from the tile drawn there. */
  async function predicted (page: Page, lat: number, lon: number) {
    const z = Number(await page.getByTestId('map-tiles').getAttribute('data-zoom'))
    const t = tileAt(toWorld(lat, lon), z)
    const img = page.locator(`[data-testid=map-tiles] img[data-tile="${z}/${t.x}/${t.y}"]`)
    if (await img.count() === 0) return null
    const box = (await img.boundingBox())!
    return { z, tile: `/${z}/${t.x}/${t.y}.png`, x: box.x + t.fx * box.width, y: box.y + t.fy * box.height, pxPerUnit: box.width * 2 ** z / 256 }
  }

  /**
   * The markers' centres against the predictions for the stations inside the map's plot area
   * (at least one); polls until they agree within 3 px, or fails with the last figures.
   */
  async function expectAligned (page: Page) {
    const gcjOfWgs = wgs84ToGcj02({ lat: WGS.lat, lon: WGS.lon })
    const colour = rgb(STATE_COLOURS.offline) // no device has connected
    let last = ''
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      const plot = (await page.getByTestId('map-tiles').boundingBox())!
      const want = [await predicted(page, gcjOfWgs.lat, gcjOfWgs.lon), await predicted(page, GCJ.lat, GCJ.lon)]
      // Well inside: a marker cut by the plot's edge has its centre of colour elsewhere.
      const within = (p: { x: number, y: number }) => p.x > plot.x + 12 && p.x < plot.x + plot.width - 12 && p.y > plot.y + 12 && p.y < plot.y + plot.height - 12
      const inside = want.filter((w) => w && within(w))
      const markers = (await readCanvas(page, [colour], 34, 10_000)).blobs[0]!.filter(within)
      const misses = inside.map((w) => Math.min(...markers.map((m) => Math.hypot(m.x - w!.x, m.y - w!.y))))
      last = JSON.stringify({ plot, want, markers, misses })
      if (inside.length > 0 && markers.length === inside.length && misses.every((d) => d <= 3)) return want
      await page.waitForTimeout(250)
    }
    await page.screenshot({ path: '.tmp/map-tiles-failure.png' })
    throw new Error(`markers not where the tiles put them: ${last}`)
  }

  test('tiles of the predicted z/x/y are requested, and markers sit on their converted positions while zooming and panning', async () => {
    const page = await newPage(browser, { viewport: { width: 1280, height: 900 } })
    await signIn(page, stack.apiUrl, stack.tokens.secrets.viewer)
    await page.waitForSelector('[data-testid=fleet-map][data-markers="2"]', { timeout: 30_000 })
    await page.waitForSelector('[data-testid=map-tiles][data-datums="2"]', { timeout: 30_000 })
    expect(await page.getByTestId('map-attribution').textContent()).toBe('© 测试底图')

    const [wgs, gcj] = await expectAligned(page)
    expect(wgs && gcj, 'both stations in view at first').toBeTruthy()
    expect(wgs!.z).toBeGreaterThanOrEqual(12)
    expect(wgs!.z).toBeLessThanOrEqual(MAX_ZOOM)
    // Both stations' tiles were asked for, every request was a well-formed tile at most MAX_ZOOM.
    expect(requests).toContain(wgs!.tile)
    expect(requests).toContain(gcj!.tile)
    const wellFormed = () => {
      for (const r of requests) {
        const m = /^\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(r)
        expect(m, r).not.toBeNull()
        expect(Number(m![1])).toBeLessThanOrEqual(MAX_ZOOM)
        expect(Number(m![2])).toBeLessThan(2 ** Number(m![1]))
        expect(Number(m![3])).toBeLessThan(2 ** Number(m![1]))
      }
    }
    wellFormed()
    // The conversion matters at this scale: unconverted, the WGS-84 station would be drawn tens
    // of pixels away (a few hundred metres), where no marker is.
    const raw = toWorld(WGS.lat, WGS.lon)
    const conv = toWorld(wgs84ToGcj02(WGS).lat, wgs84ToGcj02(WGS).lon)
    expect(Math.hypot(conv.x - raw.x, conv.y - raw.y) * wgs!.pxPerUnit).toBeGreaterThan(20)

    // Zoom in with the wheel over the WGS-84 station (it stays under the pointer), then drag
    // the map a little: tiles and markers stay together, new tiles are asked for.
    await page.mouse.move(wgs!.x, wgs!.y)
    for (let i = 0; i < 3; i++) { await page.mouse.wheel(0, -300); await page.waitForTimeout(200) }
    await page.mouse.move(5, 5) // off the map: a hovered marker is drawn in its emphasis style
    const [zoomed] = await expectAligned(page)
    expect(zoomed!.pxPerUnit).toBeGreaterThan(wgs!.pxPerUnit * 1.2)
    const before = requests.length
    await page.mouse.move(zoomed!.x, zoomed!.y)
    await page.mouse.down()
    for (let i = 1; i <= 10; i++) await page.mouse.move(zoomed!.x + i * 8, zoomed!.y - i * 4)
    await page.mouse.up()
    await page.mouse.move(5, 5)
    const [panned] = await expectAligned(page)
    expect(Math.hypot(panned!.x - zoomed!.x, panned!.y - zoomed!.y)).toBeGreaterThan(40)
    if (zoomed!.z !== wgs!.z) expect(requests.some((r) => r.startsWith(`/${zoomed!.z}/`))).toBe(true)
    expect(requests.length).toBeGreaterThanOrEqual(before)
    wellFormed()
  })
})
