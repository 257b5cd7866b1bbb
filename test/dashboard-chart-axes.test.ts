// The charts of the wall screen and the station view with little data (a station two days
// old, a handful of visits) and, on the wall, little room (an alert band and five supplies
// above them): in real Chromium at 1920 × 1080 and 1280 × 800, zh-CN and en, no two axis
// labels drawn on top of each other, every text inside its chart, the count axes labelled with
// whole numbers only, the occupancy chart's capacity line drawn, the wall's charts not squashed.
// Read from what ECharts laid out (EChart.vue exposes the instance on its element), not from
// pixels; screenshots under .tmp/screenshots/chart-axes-*.
import type { MqttClient } from 'mqtt'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Channel, PayloadOf } from '../contract/index.ts'
import { launchBrowser, newPage, screenshot, takeProblems, formatProblems, type LaunchedBrowser } from './support/browser.ts'
import { connectDevice, publishEvent, worker } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const ID = 'ax-001'
const DOOR = `${ID}-door`
const SENSORS = `${ID}-sensors`
const DAY = 86_400_000

let stack: TestStack
let browser: LaunchedBrowser

beforeAll(async () => {
  stack = await startTestStack({ ALERTS_TICK_MS: '200' })
  const secrets = await stack.addStation({ id: ID, name: '福田区测试驿站', district: '福田区', timezone: 'Asia/Shanghai', capacity: 6, lat: 22.54, lon: 114.05 }, [DOOR, SENSORS])
  const door: MqttClient = await connectDevice(stack.mqttUrl, DOOR, secrets[DOOR]!)
  const sensors: MqttClient = await connectDevice(stack.mqttUrl, SENSORS, secrets[SENSORS]!)
  const now = Date.now()
  let seq = 1
  let n = 1
  // Two days ago 3 visits, yesterday 1, today 2: counts of 0 to 3.
  for (const [ago, visits] of [[2, 3], [1, 1], [0, 2]] as const) {
    for (let i = 0; i < visits; i++) {
      const ts = now - ago * DAY - (i + 1) * 60_000
      await publishEvent(door, ID, 'door', { device: DOOR, ts, seq: seq++, direction: 'in', method: 'face', result: 'granted', worker: worker(n++) } as PayloadOf<Channel>)
      await publishEvent(sensors, ID, 'occupancy', { device: SENSORS, ts: ts + 1000, seq: seq++, count: 1 + (i % 2) })
      await publishEvent(sensors, ID, 'environment', { device: SENSORS, ts: ts + 2000, seq: seq++, temperature: 24.3 + i / 10, humidity: 55 + i, co2: 620 + 10 * i, pm25: 12 + i })
    }
  }
  // What else a wall shows and takes room from its charts: five supply items (hand counts) and
  // an open alert (the band across the screen).
  const post = (path: string, body: unknown, role: 'operator' | 'admin') =>
    fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { ...stack.auth(role), 'content-type': 'application/json' }, body: JSON.stringify(body) })
  for (const [item, nameZh, nameEn, quantity] of [['water', '瓶装水', 'Bottled water', 30], ['noodles', '方便面', 'Instant noodles', 4], ['raincoat', '雨衣', 'Raincoat', 9], ['charger', '充电宝', 'Power bank', 2], ['first-aid', '急救包', 'First-aid kit', 5]] as const) {
    expect((await post(`/stations/${ID}/supplies/items/${item}`, { nameZh, nameEn, unit: '件', capacity: 40, threshold: 5 }, 'admin')).status).toBe(200)
    expect((await post(`/stations/${ID}/supplies/counts`, { item, quantity }, 'operator')).status).toBe(201)
  }
  const rule = await stack.app.inject({ method: 'PATCH', url: `/alerts/rules/door_held_open?scope=station&id=${ID}`, headers: stack.auth('admin'), payload: { pendingS: 0 } })
  expect(rule.statusCode).toBe(200)
  await publishEvent(door, ID, 'door_state', { device: DOOR, ts: Date.now(), seq: seq++, state: 'held_open' })
  for (let i = 0; i < 150 && (await stack.app.inject({ url: `/alerts?station=${ID}&state=firing`, headers: stack.auth() })).json().alerts.length === 0; i++) await new Promise((r) => setTimeout(r, 200))
  await door.endAsync()
  await sensors.endAsync()
  await stack.rollups.job.drain()
  browser = await launchBrowser()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

type Label = { text: string, x: number, y: number, width: number, height: number }
type ChartLayout = { id: string, width: number, height: number, texts: Label[], axisLabels: Label[], valueAxes: Array<{ dim: string, labels: string[] }> }

/** Every chart on the page as ECharts laid it out: its texts' boxes in the chart's pixels. */
function layouts (page: Page): Promise<ChartLayout[]> {
  return page.evaluate(() => {
    type Rect = { x: number, y: number, width: number, height: number, applyTransform (m: unknown): void }
    type El = {
      type: string, anid?: string, ignore?: boolean, invisible?: boolean, isGroup?: boolean, style?: { text?: string }, children? (): El[], getTextContent? (): El | undefined,
      getBoundingRect (): Rect & { clone (): Rect }, getComputedTransform (): unknown
    }
    type Axis = { dim: string, type: string, getViewLabels (): Array<{ formattedLabel: string }> }
    type Instance = { getWidth (): number, getHeight (): number, getZr (): { storage: { getRoots (): El[] } }, getModel (): { getComponent (t: string, i: number): { axis?: Axis } | undefined } }
    const { document } = globalThis as unknown as { document: { querySelectorAll (s: string): Iterable<{ getAttribute (n: string): string | null, echartsInstance?: Instance }> } }
    const out = []
    for (const el of document.querySelectorAll('.chart')) {
      const c = el.echartsInstance
      if (!c) continue
      const box = (t: El) => { const r = t.getBoundingRect().clone(); r.applyTransform(t.getComputedTransform()); return { text: t.style?.text ?? '', x: r.x, y: r.y, width: r.width, height: r.height } }
      // The texts drawn: zrender's tree (a text is drawn as its spans, so not in the display list itself).
      const texts: El[] = []
      const walk = (e: El) => {
        if (e.ignore || e.invisible) return
        if (e.type === 'text' && (e.style?.text ?? '') !== '') texts.push(e)
        if (e.isGroup) for (const child of e.children!()) walk(child)
        const label = e.getTextContent?.()
        if (label) walk(label)
      }
      for (const root of c.getZr().storage.getRoots()) walk(root)
      const valueAxes = []
      for (const kind of ['yAxis', 'xAxis']) {
        for (let i = 0; i < 4; i++) {
          const axis = c.getModel().getComponent(kind, i)?.axis
          if (axis?.type === 'value') valueAxes.push({ dim: `${kind}${i}`, labels: axis.getViewLabels().map((l) => l.formattedLabel) })
        }
      }
      out.push({
        id: el.getAttribute('data-testid') ?? '?', width: c.getWidth(), height: c.getHeight(),
        texts: texts.map(box), axisLabels: texts.filter((t) => t.anid?.startsWith('label_') === true).map(box), valueAxes
      })
    }
    return out
  })
}

const overlap = (a: Label, b: Label) => a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5

function problems (charts: ChartLayout[], counts: string[]): string[] {
  const found: string[] = []
  for (const c of charts) {
    for (let i = 0; i < c.axisLabels.length; i++) {
      for (let j = i + 1; j < c.axisLabels.length; j++) {
        const a = c.axisLabels[i]!
        const b = c.axisLabels[j]!
        if (overlap(a, b)) found.push(`${c.id}: labels "${a.text}" and "${b.text}" overlap`)
      }
    }
    for (const t of c.texts) {
      if (t.x < -0.5 || t.y < -0.5 || t.x + t.width > c.width + 0.5 || t.y + t.height > c.height + 0.5) found.push(`${c.id}: "${t.text}" outside the chart (${Math.round(t.x)},${Math.round(t.y)} ${Math.round(t.width)}×${Math.round(t.height)} in ${c.width}×${c.height})`)
    }
    if (counts.includes(c.id)) {
      for (const a of c.valueAxes) {
        const bad = a.labels.filter((l) => !/^\d[\d,]*$/.test(l))
        if (bad.length > 0) found.push(`${c.id} ${a.dim}: not whole numbers: ${bad.join(' ')}`)
      }
    }
  }
  return found
}

async function signIn (page: Page, locale: string) {
  await page.goto(`${stack.apiUrl}/#/sign-in`)
  await page.getByTestId('lang-switch').selectOption(locale)
  await page.getByTestId('token-input').fill(stack.tokens.secrets.viewer)
  await page.getByTestId('sign-in-submit').click()
  await page.getByTestId('sign-out').waitFor({ timeout: 30_000 })
}

/** Until every chart has drawn (a chart redraws when its data arrives): two equal readings. */
async function settled (page: Page, ids: string[]): Promise<ChartLayout[]> {
  let last = ''
  let charts: ChartLayout[] = []
  await expect.poll(async () => {
    charts = await layouts(page)
    const key = JSON.stringify(charts)
    const same = key === last && ids.every((id) => charts.some((c) => c.id === id && c.axisLabels.length > 0))
    last = key
    return same
  }, { timeout: 30_000, interval: 500, message: `charts not drawn or still changing: ${ids.join(', ')}` }).toBe(true)
  return charts
}

const STATION_CHARTS = ['visits-chart', 'dwell-chart', 'occupancy-chart', 'climate-chart', 'peak-hours-chart']
const STATION_COUNTS = ['visits-chart', 'dwell-chart', 'occupancy-chart']
const WALL_CHARTS = ['wall-last30', 'wall-by-hour']

describe('chart axes with little data', () => {
  for (const locale of ['zh-CN', 'en']) {
    for (const viewport of [{ width: 1920, height: 1080 }, { width: 1280, height: 800 }]) {
      test(`station view and wall, ${locale}, ${viewport.width}×${viewport.height}`, async () => {
        const page = await newPage(browser, { locale, viewport })
        await signIn(page, locale)
        await page.goto(`${stack.apiUrl}/#/stations/${ID}`)
        await page.waitForSelector('[data-testid=visits-chart][data-bars]', { timeout: 30_000 })
        await page.getByRole('button', { name: locale === 'en' ? 'Last 7 days' : '近 7 天' }).click()
        await page.waitForSelector('[data-testid=visits-chart][data-bars="7"]', { timeout: 30_000 })
        await page.waitForSelector('[data-testid=dwell-summary]', { timeout: 30_000 })
        const station = await settled(page, STATION_CHARTS)
        await screenshot(page, `chart-axes-station-${locale}-${viewport.width}`)
        await page.goto(`${stack.apiUrl}/#/wall/${ID}`)
        await page.waitForSelector('[data-testid=wall-connection][data-state=live]', { timeout: 30_000 })
        await page.getByTestId('wall-alert').waitFor({ timeout: 30_000 })
        await expect.poll(() => page.getByTestId('wall-supply').count(), { timeout: 30_000 }).toBe(5)
        const wall = await settled(page, WALL_CHARTS)
        await screenshot(page, `chart-axes-wall-${locale}-${viewport.width}`)
        expect([...problems(station, STATION_COUNTS), ...problems(wall, WALL_CHARTS)]).toEqual([])
        // The occupancy chart reaches up to the capacity (6) and draws its line, on quiet days too.
        const occupancy = station.find((c) => c.id === 'occupancy-chart')!
        expect(occupancy.valueAxes[0]!.labels.map(Number).at(-1)).toBeGreaterThanOrEqual(6)
        expect(occupancy.texts.map((t) => t.text)).toContain(locale === 'en' ? 'Capacity 6' : '容量 6')
        // Tall enough to read across a room, with the alert band and five supplies above.
        for (const id of WALL_CHARTS) expect(wall.find((c) => c.id === id)!.height, id).toBeGreaterThanOrEqual(180)
        // Expected: GET /session answers 401 before signing in.
        const left = takeProblems(page).filter((p) => !(/status of 401/.test(p.text) && p.url?.endsWith('/session') === true))
        expect(formatProblems(left)).toBe('')
      })
    }
  }
})
