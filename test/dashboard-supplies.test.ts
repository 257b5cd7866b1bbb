// Supplies in the dashboard, in Chromium against the real API and InfluxDB (`waystation start`
// as test/support/stack.ts runs it, serving the built web app): a station whose hand count is
// under the threshold shows "low" on its wall screen and is a stop of the restock plan; an
// operator clicks "restocked", which logs the restock, and the wall and the plan update; a
// viewer sees the plan without the action.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import { launchBrowser, newPage, takeProblems, type LaunchedBrowser } from './support/browser.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const M = 'hf-shushan-201'
const TZ = 'Asia/Shanghai'
const water = { nameZh: '瓶装水', nameEn: 'Bottled water', unit: '瓶', capacity: 48, threshold: 12, weather: 'heat', priceCents: 150 }

let stack: TestStack
let browser: LaunchedBrowser

beforeAll(async () => {
  stack = await startTestStack()
  await stack.addStation({ id: M, name: '蜀山区爱心驿站 201', district: 'shushan', timezone: TZ, capacity: 6, lat: 31.85, lon: 117.26 }, [`${M}-door`])
  const post = (path: string, body: unknown, role: 'operator' | 'admin') =>
    fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { ...stack.auth(role), 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect((await post(`/stations/${M}/supplies/items/bottled-water`, water, 'admin')).status).toBe(200)
  expect((await post(`/stations/${M}/supplies/counts`, { item: 'bottled-water', quantity: 5, at: new Date(Date.now() - 60_000).toISOString() }, 'operator')).status).toBe(201)
  browser = await launchBrowser()
}, 120_000)
afterAll(async () => {
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
})
