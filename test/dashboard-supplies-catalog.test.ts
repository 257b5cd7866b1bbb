// The supplies catalog in the dashboard (admin tab "Supplies catalog"), in Chromium against the
// real API (`waystation start` as test/support/stack.ts runs it, serving the built web app): an
// admin adds an item for a whole district, which the API then lists for every station of that
// district (and no other) and the audit log records once; edits one station's item, adds and
// removes a scheduled delivery and removes the item. An operator and a viewer get no edit
// controls, and the API answers their writes with 403.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import type { AuditEntry } from '../registry/schemas.ts'
import type { CatalogItem, Delivery } from '../supplies/schemas.ts'
import { launchBrowser, newPage, takeProblems, type LaunchedBrowser } from './support/browser.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const TZ = 'Asia/Shanghai'
const [A, B, C] = ['hf-shushan-401', 'hf-shushan-402', 'hf-baohe-403']

let stack: TestStack
let browser: LaunchedBrowser

beforeAll(async () => {
  stack = await startTestStack()
  await stack.addStation({ id: A, name: '蜀山区爱心驿站 401', district: 'shushan', timezone: TZ, capacity: 6, lat: 31.85, lon: 117.26 })
  await stack.addStation({ id: B, name: '蜀山区爱心驿站 402', district: 'shushan', timezone: TZ, capacity: 6, lat: 31.86, lon: 117.25 })
  await stack.addStation({ id: C, name: '包河区爱心驿站 403', district: 'baohe', timezone: TZ, capacity: 6, lat: 31.80, lon: 117.30 })
  browser = await launchBrowser()
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

async function signedIn (role: 'admin' | 'operator' | 'viewer'): Promise<Page> {
  const page = await newPage(browser)
  const token = stack.auth(role).authorization.replace(/^Bearer /, '')
  expect((await page.request.post(`${stack.apiUrl}/session`, { data: { token } })).status()).toBe(200)
  // Removing asks for a confirmation.
  page.on('dialog', (d) => { void d.accept() })
  return page
}
async function catalogOf (id: string) {
  const res = await fetch(`${stack.apiUrl}/stations/${id}/supplies/catalog`, { headers: stack.auth('viewer') })
  expect(res.status).toBe(200)
  return await res.json() as { items: CatalogItem[], deliveries: Delivery[] }
}
const raincoat = (id: string) => catalogOf(id).then((c) => c.items.find((i) => i.item === 'raincoat'))

describe('the supplies catalog in the dashboard', () => {
  test('an admin sets an item for a district, edits, adds and removes a delivery, removes the item', async () => {
    const page = await signedIn('admin')
    await page.goto(`${stack.apiUrl}/#/admin/supplies`)
    await page.locator(`[data-testid="catalog-station"] option[value="${A}"]`).waitFor({ state: 'attached', timeout: 30_000 })
    await page.selectOption('[data-testid="catalog-station"]', A)
    const form = page.locator('[data-testid="catalog-form"]')
    await form.waitFor({ timeout: 30_000 })
    await form.locator('[data-testid="catalog-item"]').fill('raincoat')
    await form.locator('[data-testid="catalog-name-zh"]').fill('雨衣')
    await form.locator('[data-testid="catalog-name-en"]').fill('Raincoat')
    await form.locator('[data-testid="catalog-unit"]').fill('件')
    await form.locator('[data-testid="catalog-capacity"]').fill('12')
    await form.locator('[data-testid="catalog-threshold"]').fill('3')
    await form.locator('[data-testid="catalog-weather"]').selectOption('rain')
    await form.locator('[data-testid="catalog-price"]').fill('10.50')
    expect(await form.textContent()).toContain('shushan') // "apply to every station of shushan"
    await form.locator('[data-testid="catalog-district"]').check()
    await form.locator('[data-testid="catalog-save"]').click()
    await expect.poll(() => page.locator('[data-testid="catalog-message"]').textContent(), { timeout: 30_000 }).toContain('2')
    await page.locator('[data-testid="catalog-row"][data-item="raincoat"]').waitFor({ timeout: 30_000 })

    // The API lists it for every station of the district, and only there.
    for (const id of [A, B]) expect(await raincoat(id)).toMatchObject({ stationId: id, nameZh: '雨衣', nameEn: 'Raincoat', unit: '件', capacity: 12, threshold: 3, weather: 'rain', priceCents: 1050 })
    expect(await raincoat(C)).toBeUndefined()
    // One audited change for the district.
    const audit = await (await fetch(`${stack.apiUrl}/audit?target=${encodeURIComponent('district:shushan')}`, { headers: stack.auth('admin') })).json() as { entries: AuditEntry[] }
    expect(audit.entries.map((e) => [e.action, e.actor.startsWith('token:')])).toEqual([['supply.item.district', true]])
    expect((audit.entries[0]!.after as CatalogItem[]).map((i) => i.stationId).sort()).toEqual([A, B])

    // Edit A's item only.
    await page.locator('[data-testid="catalog-row"][data-item="raincoat"] [data-testid="catalog-edit"]').click()
    expect(await form.locator('[data-testid="catalog-item"]').inputValue()).toBe('raincoat')
    await form.locator('[data-testid="catalog-threshold"]').fill('4')
    await form.locator('[data-testid="catalog-save"]').click()
    await expect.poll(async () => (await raincoat(A))?.threshold, { timeout: 30_000 }).toBe(4)
    expect((await raincoat(B))?.threshold).toBe(3)

    // A scheduled delivery on weekdays at 16:30.
    const deliveries = page.locator('[data-testid="delivery-form"]')
    await deliveries.locator('[data-testid="delivery-item"]').selectOption('raincoat')
    await deliveries.locator('[data-testid="delivery-quantity"]').fill('10')
    await deliveries.locator('[data-testid="delivery-supplier"]').fill('合肥某服装公司')
    await deliveries.locator('[data-testid="delivery-source"]').selectOption('donation')
    for (const day of [6, 7]) await deliveries.locator(`input[type="checkbox"][value="${day}"]`).uncheck()
    await deliveries.locator('[data-testid="delivery-at"]').fill('16:30')
    await deliveries.locator('[data-testid="delivery-add"]').click()
    await page.locator('[data-testid="delivery-row"][data-item="raincoat"]').waitFor({ timeout: 30_000 })
    expect((await catalogOf(A)).deliveries).toMatchObject([{ item: 'raincoat', quantity: 10, supplier: '合肥某服装公司', source: 'donation', days: [1, 2, 3, 4, 5], at: '16:30' }])
    await page.locator('[data-testid="delivery-row"][data-item="raincoat"] [data-testid="delivery-remove"]').click()
    await expect.poll(async () => (await catalogOf(A)).deliveries.length, { timeout: 30_000 }).toBe(0)

    // Remove A's item: B keeps its own.
    await page.locator('[data-testid="catalog-row"][data-item="raincoat"] [data-testid="catalog-remove"]').click()
    await expect.poll(() => raincoat(A), { timeout: 30_000 }).toBeUndefined()
    await page.locator('[data-testid="catalog-row"][data-item="raincoat"]').waitFor({ state: 'detached', timeout: 30_000 })
    expect(await raincoat(B)).toBeDefined()
    const stationAudit = await (await fetch(`${stack.apiUrl}/audit?target=${encodeURIComponent(`station:${A}`)}`, { headers: stack.auth('admin') })).json() as { entries: AuditEntry[] }
    expect(stationAudit.entries.map((e) => e.action).sort()).toEqual(['supply.delivery.create', 'supply.delivery.remove', 'supply.item.remove', 'supply.item.update'])
    expect(takeProblems(page).filter((x) => !/favicon\.ico/.test(x.url ?? ''))).toEqual([])
  }, 180_000)

  test('an operator and a viewer: no edit controls, and the API refuses their changes', async () => {
    const item = { nameZh: '暖宝宝', nameEn: 'Heat pack', capacity: 30, threshold: 5, weather: 'cold' }
    for (const role of ['operator', 'viewer'] as const) {
      const page = await signedIn(role)
      await page.goto(`${stack.apiUrl}/#/admin/supplies`)
      await page.locator('[data-testid="admin-view"] [role="alert"]').waitFor({ timeout: 30_000 })
      expect(await page.locator('[data-testid="supply-catalog"], [data-testid="catalog-save"], [data-testid="catalog-edit"], [data-testid="catalog-remove"]').count()).toBe(0)
      const post = (path: string, body: unknown) => fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers: { ...stack.auth(role), 'content-type': 'application/json' }, body: JSON.stringify(body) })
      expect((await post(`/supplies/districts/${'shushan'}/items/heat-pack`, item)).status).toBe(403)
      expect((await post(`/stations/${A}/supplies/items/heat-pack`, item)).status).toBe(403)
      expect((await post(`/stations/${A}/supplies/deliveries`, { item: 'heat-pack', quantity: 5, supplier: 'x', at: '09:00' })).status).toBe(403)
      expect((await fetch(`${stack.apiUrl}/stations/${B}/supplies/items/raincoat`, { method: 'DELETE', headers: stack.auth(role) })).status).toBe(403)
      // They may read the catalog.
      expect((await fetch(`${stack.apiUrl}/stations/${B}/supplies/catalog`, { headers: stack.auth(role) })).status).toBe(200)
      expect(takeProblems(page).filter((x) => !/favicon\.ico/.test(x.url ?? ''))).toEqual([])
    }
    for (const id of [A, B, C]) expect((await catalogOf(id)).items.some((i) => i.item === 'heat-pack')).toBe(false)
  }, 120_000)
})
