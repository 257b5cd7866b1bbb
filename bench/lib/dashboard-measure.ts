import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import type { Browser, BrowserContext, Page } from 'playwright-core'

// What the dashboard benchmark measures inside real Chromium. Written against the web app's
// contracts (it is built in parallel): the fleet map is `[data-testid=fleet-map]` and says how
// many markers it drew in `data-markers`; sign-in is `POST /session {token}` setting a cookie.
// When a contract is missing the measurement stops with a message saying which one.

export const MAP = '[data-testid=fleet-map]'

type Recorder = {
  /** Every value data-markers took, when, and when the second frame after it began (painted). */
  markers: Array<{ value: string | null, at: number, painted: number | null }>
  longTasks: Array<{ start: number, duration: number }>
  lcp: number
  frames: number[]
  recording: boolean
}

// Runs in every document before its own scripts (CDP, so the page's CSP does not apply). The
// tests' tsconfig has no DOM lib: browser globals are reached through globalThis.
function installRecorder (selector: string): void {
  type Entry = { startTime: number, duration: number }
  type Observer = new (cb: (list: { getEntries (): Entry[] }) => void) => { observe (o: object): void }
  type El = { getAttribute (n: string): string | null }
  const g = globalThis as unknown as {
    __bench: Recorder
    document: { querySelector (s: string): El | null }
    performance: { now (): number }
    MutationObserver: new (cb: () => void) => { observe (t: unknown, o: object): void }
    PerformanceObserver: Observer
    requestAnimationFrame (cb: (t: number) => void): void
  }
  const rec: Recorder = { markers: [], longTasks: [], lcp: 0, frames: [], recording: false }
  g.__bench = rec
  const check = () => {
    const value = g.document.querySelector(selector)?.getAttribute('data-markers') ?? null
    if (value === (rec.markers.at(-1)?.value ?? null)) return
    const entry: Recorder['markers'][number] = { value, at: g.performance.now(), painted: null }
    rec.markers.push(entry)
    // The next frame draws what was set; the one after starts once it is on screen.
    g.requestAnimationFrame(() => g.requestAnimationFrame(() => { entry.painted = g.performance.now() }))
  }
  new g.MutationObserver(check).observe(g.document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-markers', 'data-testid'] })
  new g.PerformanceObserver((l) => { for (const e of l.getEntries()) rec.longTasks.push({ start: e.startTime, duration: e.duration }) }).observe({ type: 'longtask', buffered: true })
  new g.PerformanceObserver((l) => { for (const e of l.getEntries()) rec.lcp = e.startTime }).observe({ type: 'largest-contentful-paint', buffered: true })
  const frame = (t: number) => { if (rec.recording) rec.frames.push(t); g.requestAnimationFrame(frame) }
  g.requestAnimationFrame(frame)
}

const recorder = (page: Page) => page.evaluate(() => (globalThis as unknown as { __bench: Recorder }).__bench)
const pageNow = (page: Page) => page.evaluate(() => (globalThis as unknown as { performance: { now (): number } }).performance.now())

/** A fresh context (cold cache) signed in with the token through the API's cookie session. */
export async function signedInContext (browser: Browser, apiUrl: string, token: string, opts: { bypassCSP?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1920, height: 1080 }, bypassCSP: opts.bypassCSP ?? false })
  // context.request shares the context's cookie jar, so the page gets the session cookie.
  const res = await context.request.post(`${apiUrl}/session`, { data: { token }, failOnStatusCode: false })
  const cookies = await context.cookies(apiUrl)
  if (!res.ok() || cookies.length === 0) {
    await context.close()
    throw new Error(`POST ${apiUrl}/session {token} answered ${res.status()}${res.ok() ? ' but set no cookie' : ''}: the cookie sign-in (api/auth) is missing`)
  }
  return context
}

/** How the fleet view loads /live/summary: one object per station, or one array per field (the default). */
export type FleetForm = 'rows' | 'columns'

export type LoadRun = {
  form: FleetForm
  /** The machine's 1-minute load average when the load ended (the machine is shared). */
  loadAvg: number
  /** ms from navigation start until data-markers equalled the fleet size. */
  mapReadyMs: number
  /** ms until the second frame after that began: the markers are on screen (a progressive renderer may still be adding some). */
  mapPaintedMs: number
  fcpMs: number
  lcpMs: number
  longestTaskMs: number
  /** Sum over the page's finished responses of the bytes on the wire (headers included), by resource type. */
  bytes: Record<string, number>
  requests: number
  /** Each finished response: bytes on the wire (headers included) and of its body once decoded. */
  responses: ResponseBytes[]
  /** The fleet's data request (/live/summary, any query): ms from navigation start (Resource Timing), NaN if none. */
  data: { path: string, startMs: number, firstByteMs: number, endMs: number }
  /** With `profileFile`: the page's main-thread CPU profile from navigation until the map was ready. */
  profileFile?: string
}

export type ResponseBytes = { path: string, type: string, encoding: string, wireBytes: number, bodyBytes: number }

/** One cold load of the fleet view: fresh context, empty cache. Leaves the page open for interaction. */
export async function measureFleetLoad (browser: Browser, opts: { apiUrl: string, token: string, path: string, markers: number, timeoutMs: number, profileFile?: string, form?: FleetForm }): Promise<{ run: LoadRun, page: Page, context: BrowserContext }> {
  const context = await signedInContext(browser, opts.apiUrl, opts.token)
  const page = await context.newPage()
  await page.addInitScript(installRecorder, MAP)
  // The web app loads the fleet as columns unless told otherwise (web/src/composables/useLiveFleet.ts).
  if (opts.form === 'rows') await page.addInitScript(() => { (globalThis as unknown as { localStorage: { setItem (k: string, v: string): void } }).localStorage.setItem('waystation.fleetForm', 'rows') })
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')
  if (opts.profileFile !== undefined) {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
    await cdp.send('Profiler.start')
  }
  const types = new Map<string, { type: string, path: string, encoding: string }>()
  const decoded = new Map<string, number>()
  const bytes: Record<string, number> = {}
  const responses: ResponseBytes[] = []
  let requests = 0
  cdp.on('Network.responseReceived', (e) => {
    const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]))
    const u = new URL(e.response.url)
    types.set(e.requestId, { type: e.type ?? 'Other', path: u.pathname.replace(/-[\w-]{8}\.(js|css)$/, '-….$1'), encoding: h['content-encoding'] ?? 'none' })
  })
  // dataLength: the body's bytes after decoding (gzip/br), chunk by chunk.
  cdp.on('Network.dataReceived', (e) => { decoded.set(e.requestId, (decoded.get(e.requestId) ?? 0) + e.dataLength) })
  cdp.on('Network.loadingFinished', (e) => {
    const r = types.get(e.requestId) ?? { type: 'Other', path: '?', encoding: 'none' }
    bytes[r.type] = (bytes[r.type] ?? 0) + e.encodedDataLength
    responses.push({ ...r, wireBytes: e.encodedDataLength, bodyBytes: decoded.get(e.requestId) ?? 0 })
    requests++
  })
  const url = `${opts.apiUrl}${opts.path}`
  const nav = await page.goto(url, { waitUntil: 'commit', timeout: opts.timeoutMs })
  const type = nav?.headers()['content-type'] ?? ''
  if (nav === null || !nav.ok() || !type.startsWith('text/html')) {
    throw new Error(`GET ${url} answered ${nav?.status() ?? 'nothing'} (${type || 'no content type'}): the API does not serve the dashboard there; build it (npm run build) or pass --path`)
  }
  const want = String(opts.markers)
  try {
    await page.waitForFunction(([sel, n]) => (globalThis as unknown as { document: { querySelector (s: string): { getAttribute (a: string): string | null } | null } })
      .document.querySelector(sel!)?.getAttribute('data-markers') === n, [MAP, want], { timeout: opts.timeoutMs, polling: 200 })
  } catch {
    const seen = (await recorder(page)).markers.map((m) => m.value)
    throw new Error(seen.length === 0
      ? `no ${MAP} on ${url} within ${opts.timeoutMs} ms: the fleet view must expose it (web app contract)`
      : `${MAP} on ${url} showed data-markers ${seen.map((v) => JSON.stringify(v)).join(' → ')} within ${opts.timeoutMs} ms, never "${want}"`)
  }
  if (opts.profileFile !== undefined) {
    const { profile } = await cdp.send('Profiler.stop')
    writeFileSync(opts.profileFile, JSON.stringify(profile))
  }
  await page.waitForTimeout(1000) // late requests of the first load (fonts, map data); the painted frame
  const rec = await recorder(page)
  type Timing = { name: string, startTime: number, responseStart: number, responseEnd: number }
  const timings = await page.evaluate(() => (globalThis as unknown as { performance: { getEntriesByType (t: string): Timing[] } })
    .performance.getEntriesByType('resource').map((e) => ({ name: e.name, startTime: e.startTime, responseStart: e.responseStart, responseEnd: e.responseEnd })))
  const t = timings.find((e) => new URL(e.name).pathname === '/live/summary')
  if (opts.profileFile !== undefined) {
    for (const e of timings) process.stderr.write(`     ${new URL(e.name).pathname.padEnd(40)} ${e.startTime.toFixed(0).padStart(6)} → first byte ${e.responseStart.toFixed(0).padStart(6)} → end ${e.responseEnd.toFixed(0).padStart(6)} ms\n`)
  }
  const data = t === undefined
    ? { path: '–', startMs: Number.NaN, firstByteMs: Number.NaN, endMs: Number.NaN }
    : { path: (({ pathname, search }) => pathname + search)(new URL(t.name)), startMs: t.startTime, firstByteMs: t.responseStart, endMs: t.responseEnd }
  const fcp = await page.evaluate(() => (globalThis as unknown as { performance: { getEntriesByName (n: string): Array<{ startTime: number }> } })
    .performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN)
  const ready = rec.markers.find((m) => m.value === want)!
  await cdp.detach()
  return {
    run: {
      form: opts.form ?? 'columns',
      loadAvg: loadavg()[0]!,
      mapReadyMs: ready.at,
      mapPaintedMs: ready.painted ?? Number.NaN,
      fcpMs: fcp,
      lcpMs: rec.lcp,
      longestTaskMs: Math.max(0, ...rec.longTasks.map((t) => t.duration)),
      bytes,
      requests,
      responses,
      data,
      ...(opts.profileFile === undefined ? {} : { profileFile: opts.profileFile })
    },
    page,
    context
  }
}

export type Interaction = { longestTaskMs: number, longTasks: number, longestFrameMs: number, frames: number, seconds: number }

/** Wheel zoom in and out over the map's centre, then a drag (pan): the main thread's longest task and frame in each. */
export async function measurePanZoom (page: Page, shot: (name: string) => Promise<void> = async () => {}): Promise<{ zoom: Interaction, pan: Interaction }> {
  const box = await page.locator(MAP).boundingBox()
  if (box === null) throw new Error(`${MAP} has no box on the page: cannot zoom or pan it`)
  const cx = box.x + box.width / 2
  const cy = box.y + box.height / 2
  const during = async (act: () => Promise<void>): Promise<Interaction> => {
    await page.evaluate(() => { const r = (globalThis as unknown as { __bench: Recorder }).__bench; r.frames = []; r.recording = true })
    const t0 = await pageNow(page)
    await act()
    await page.waitForTimeout(1000) // let the re-render after the last event finish
    const t1 = await pageNow(page)
    const rec = await page.evaluate(() => { const r = (globalThis as unknown as { __bench: Recorder }).__bench; r.recording = false; return r })
    const tasks = rec.longTasks.filter((t) => t.start >= t0 && t.start <= t1)
    const gaps = rec.frames.slice(1).map((t, i) => t - rec.frames[i]!)
    return { longestTaskMs: Math.max(0, ...tasks.map((t) => t.duration)), longTasks: tasks.length, longestFrameMs: Math.max(0, ...gaps), frames: rec.frames.length, seconds: (t1 - t0) / 1000 }
  }
  await page.mouse.move(cx, cy)
  await shot('loaded')
  const zoom = await during(async () => {
    for (const dy of [-300, -300, -300]) { await page.mouse.wheel(0, dy); await page.waitForTimeout(150) }
    await shot('zoomed-in') // outside the timed inputs' spacing, inside the window: a bounded extra
    for (const dy of [300, 300, 300]) { await page.mouse.wheel(0, dy); await page.waitForTimeout(150) }
  })
  const pan = await during(async () => {
    await page.mouse.down()
    for (let i = 1; i <= 15; i++) await page.mouse.move(cx + i * 20, cy + i * 10, { steps: 2 })
    await page.mouse.up()
  })
  await shot('panned')
  return { zoom, pan }
}
