// Supplies in the dashboard, in Chromium against the real API and InfluxDB (`waystation start`
// as test/support/stack.ts runs it, serving the built web app): a station whose hand count is
// under the threshold shows "low" on its wall screen and is a stop of the restock plan; an
// operator clicks "restocked", which logs the restock, and the wall and the plan update; a
// viewer sees the plan without the action. At a station with a shelf sensor, a restock logged
// since the sensor's last reading (`pendingRestock`) is shown on the wall and the station page,
// in zh-CN and English, until the sensor reports it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { MqttClient } from 'mqtt'
import type { Page } from 'playwright-core'
import type { StationLive } from '../api/live/schemas.ts'
import { launchBrowser, newPage, screenshot, takeProblems, type LaunchedBrowser } from './support/browser.ts'
import { connectDevice, publishEvent } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const M = 'hf-shushan-201'
const S = 'hf-shushan-202' // with a shelf sensor
const SHELF = `${S}-shelf`
const TZ = 'Asia/Shanghai'
const water = { nameZh: '瓶装水', nameEn: 'Bottled water', unit: '瓶', capacity: 48, threshold: 12, weather: 'heat', priceCents: 150 }

let stack: TestStack
let browser: LaunchedBrowser
let shelf: MqttClient

beforeAll(async () => {
  stack = await startTestStack()
  await stack.addStation({ id: M, name: '蜀山区爱心驿站 201', district: 'shushan', timezone: TZ, capacity: 6, lat: 31.85, lon: 117.26 }, [`${M}-door`])
  const post = (path: string, body: unknown, role: 'operator' | 'admin') =>
    fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { ...stack.auth(role), 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect((await post(`/stations/${M}/supplies/items/bottled-water`, water, 'admin')).status).toBe(200)
  expect((await post(`/stations/${M}/supplies/counts`, { item: 'bottled-water', quantity: 5, at: new Date(Date.now() - 60_000).toISOString() }, 'operator')).status).toBe(201)
  const secrets = await stack.addStation({ id: S, name: '蜀山区爱心驿站 202', district: 'shushan', timezone: TZ, capacity: 6, lat: 31.84, lon: 117.25 }, [SHELF])
  expect((await post(`/stations/${S}/supplies/items/bottled-water`, water, 'admin')).status).toBe(200)
  shelf = await connectDevice(stack.mqttUrl, SHELF, secrets[SHELF]!)
  browser = await launchBrowser()
}, 120_000)
afterAll(async () => {
  await shelf?.endAsync()
  await browser?.close()
  await stack?.stop()
})

async function signedIn (role: 'operator' | 'viewer'): Promise<Page> {
  const page = await newPage(browser)
  const token = stack.auth(role).authorization.replace(/^Bearer /, '')
  const res = await page.request.post(`${stack.apiUrl}/session`, { data: { token } })
  expect(res.status()).toBe(200)
  return page
}

const planUrl = () => `${stack.apiUrl}/#/restock?depot=31.86,117.27&district=shushan`

describe('supplies in the dashboard', () => {
  test('low on the wall and in the plan; an operator restocks; a viewer has no action', async () => {
    const page = await signedIn('operator')
    await page.goto(`${stack.apiUrl}/#/wall/${M}`)
    const bar = page.locator('[data-testid="wall-supply"][data-item="bottled-water"]')
    await bar.waitFor({ timeout: 30_000 })
    await expect.poll(() => bar.getAttribute('data-level'), { timeout: 30_000 }).toBe('low')
    expect(await bar.textContent()).toContain('瓶装水')

    await page.goto(planUrl())
    const row = page.locator(`[data-testid="restock-row"][data-station="${M}"][data-item="bottled-water"]`)
    await row.waitFor({ timeout: 30_000 })
    expect(await row.locator('[data-testid="restock-quantity"]').textContent()).toContain('43') // 48 − 5
    expect(await page.locator('[data-testid="run-sheet-en"]').getAttribute('href')).toMatch(/format=html&lang=en/)
    await row.locator('[data-testid="restocked"]').click()
    await page.locator('[data-testid="restock-message"]').waitFor({ timeout: 30_000 })
    // The plan is asked again: the shelf is full, nothing left to bring.
    await page.locator('[data-testid="restock-empty"]').waitFor({ timeout: 30_000 })
    expect(await row.count()).toBe(0)
    const restocks = await (await fetch(`${stack.apiUrl}/stations/${M}/supplies/restocks?from=${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}&to=${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}`, { headers: stack.auth() })).json() as { restocks: Array<{ quantity: number, source: string }> }
    expect(restocks.restocks.map((r) => [r.quantity, r.source])).toEqual([[43, 'purchase']])

    await page.goto(`${stack.apiUrl}/#/wall/${M}`)
    await expect.poll(() => bar.getAttribute('data-level'), { timeout: 30_000 }).toBe('ok')

    // A viewer: the plan (a new count makes the item low again), no "restocked" button.
    await fetch(`${stack.apiUrl}/stations/${M}/supplies/counts`, { method: 'POST', headers: { ...stack.auth('operator'), 'content-type': 'application/json' }, body: JSON.stringify({ item: 'bottled-water', quantity: 2 }) })
    const viewer = await signedIn('viewer')
    await viewer.goto(planUrl())
    const vrow = viewer.locator(`[data-testid="restock-row"][data-station="${M}"]`)
    await vrow.waitFor({ timeout: 30_000 })
    expect(await viewer.locator('[data-testid="restocked"]').count()).toBe(0)
    expect(await viewer.locator('[data-testid="restock-source"]').count()).toBe(0)
    // The app has no favicon (Chromium asks for one): that 404 is the only problem allowed.
    for (const p of [page, viewer]) expect(takeProblems(p).filter((x) => !/favicon\.ico/.test(x.url ?? ''))).toEqual([])
  }, 180_000)

  test('a restock logged since the shelf sensor\'s last reading is shown as such on the wall and the station page', async () => {
    const liveWater = async () => ((await (await fetch(`${stack.apiUrl}/stations/${S}/live`, { headers: stack.auth() })).json()) as StationLive).supplies?.find((x) => x.item === 'bottled-water')
    await publishEvent(shelf, S, 'supply', { device: SHELF, ts: Date.now() - 30 * 60_000, seq: 1, item: 'bottled-water', quantity: 10, capacity: 48 })
    await expect.poll(async () => (await liveWater())?.quantity, { timeout: 30_000 }).toBe(10)
    const logged = await fetch(`${stack.apiUrl}/stations/${S}/supplies/restocks`, { method: 'POST', headers: { ...stack.auth('operator'), 'content-type': 'application/json' }, body: JSON.stringify({ item: 'bottled-water', quantity: 24, source: 'purchase', by: '王师傅' }) })
    expect(logged.status).toBe(201)
    await expect.poll(async () => (await liveWater())?.quantity, { timeout: 30_000 }).toBe(34)

    const page = await signedIn('viewer')
    await page.goto(`${stack.apiUrl}/#/wall/${S}`)
    const wallPending = page.locator('[data-testid="wall-supply"][data-item="bottled-water"] [data-testid="wall-supply-pending"]')
    await wallPending.waitFor({ timeout: 30_000 })
    expect(await wallPending.textContent()).toMatch(/含已登记补货 24.*货架传感器尚未读到/)
    await screenshot(page, 'dashboard-supplies-pending-wall-zh')
    await page.goto(`${stack.apiUrl}/#/stations/${S}`)
    const rowPending = page.locator('[data-testid="station-supply"][data-item="bottled-water"] [data-testid="station-supply-pending"]')
    await rowPending.waitFor({ timeout: 30_000 })
    expect(await rowPending.textContent()).toMatch(/含已登记补货 24.*货架传感器尚未读到/)
    await page.getByTestId('lang-switch').selectOption('en')
    await expect.poll(() => rowPending.textContent(), { timeout: 30_000 }).toMatch(/includes 24 restocked.*not yet read by the shelf sensor/)

    // The sensor reports the restock: nothing pending any more.
    await publishEvent(shelf, S, 'supply', { device: SHELF, ts: Date.now(), seq: 2, item: 'bottled-water', quantity: 34, capacity: 48 })
    await expect.poll(() => rowPending.count(), { timeout: 30_000 }).toBe(0)
    expect(takeProblems(page).filter((x) => !/favicon\.ico/.test(x.url ?? ''))).toEqual([])
  }, 180_000)
})
