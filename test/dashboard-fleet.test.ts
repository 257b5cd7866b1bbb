// The dashboard's fleet view, roles and session in real Chromium against the real stack
// (broker + ingest + API on free ports, a real influxd): every station of a seeded fleet is
// a table row and a map marker; a viewer has no admin tab and admin routes answer 403; an
// admin sees a new device secret exactly once; a district-scoped token sees only its
// district; a revoked token sends the user back to sign-in with the reason in words, and
// sign-out works; no serious or critical axe violations on fleet and sign-in in zh-CN and en.
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createAdmin } from '../registry/admin.ts'
import { mintToken } from './support/api-tokens.ts'
import { axeViolations, formatProblems, launchBrowser, newPage, takeProblems, type LaunchedBrowser } from './support/browser.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const DISTRICTS = ['福田区', '南山区', '罗湖区']
const FLEET = Array.from({ length: 12 }, (_, i) => ({
  id: `fl-${String(i + 1).padStart(3, '0')}`,
  name: `测试驿站 ${i + 1}`,
  district: DISTRICTS[i % DISTRICTS.length]!,
  lat: 22.5 + i * 0.01,
  lon: 114.0 + i * 0.01,
  timezone: 'Asia/Shanghai'
}))

let stack: TestStack
let browser: LaunchedBrowser

beforeAll(async () => {
  stack = await startTestStack()
  for (const s of FLEET) await stack.addStation(s)
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

/** Signs in through the sign-in form, as a person would. */
async function signIn (page: Page, token: string, locale = 'zh-CN') {
  await page.goto(`${stack.apiUrl}/#/sign-in`)
  if (locale !== 'zh-CN') await page.getByTestId('lang-switch').selectOption(locale)
  await page.getByTestId('token-input').fill(token)
  await page.getByTestId('sign-in-submit').click()
  await page.getByTestId('sign-out').waitFor({ timeout: 30_000 })
  claim401s(page) // GET /session on the first load, before signing in
}

/**
 * Claims the console errors Chromium logs for the 401s a signed-out page gets by design (GET
 * /session before sign-in, a request after the session ended); any other problem stays.
 */
function claim401s (page: Page, statuses = [401]) {
  const expected = new RegExp(`status of (${statuses.join('|')})`)
  const left = takeProblems(page).filter((p) => !(p.kind === 'console' && expected.test(p.text)))
  if (left.length > 0) throw new Error(`unexpected page problems:\n${formatProblems(left)}`)
}

const rowIds = (page: Page) => page.getByTestId('fleet-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-station')))

describe('fleet view', () => {
  test('lists every station of the fleet as a table row and draws one map marker each', async () => {
    const page = await newPage(browser)
    await signIn(page, stack.tokens.secrets.viewer)
    await page.waitForSelector(`[data-testid=fleet-table][data-rows="${FLEET.length}"]`, { timeout: 30_000 })
    expect((await rowIds(page)).sort()).toEqual(FLEET.map((s) => s.id).sort())
    // data-markers is set by the chart's 'finished' event: the points it was given to draw.
    await page.waitForSelector(`[data-testid=fleet-map][data-markers="${FLEET.length}"]`, { timeout: 30_000 })
    // And the canvas really has something drawn on it (not a blank box).
    const inked = await page.getByTestId('fleet-map').locator('canvas').first().evaluate((c) => {
      const canvas = c as unknown as { width: number, height: number, getContext (k: '2d'): { getImageData (x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
      let n = 0
      for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 0 && (d[i]! < 200 || d[i + 1]! < 200 || d[i + 2]! < 200)) n++
      return n
    })
    expect(inked).toBeGreaterThan(FLEET.length * 10)
    // Per-district counts add up to the fleet.
    expect(await page.getByTestId('district-row').count()).toBe(DISTRICTS.length)
  })

  test('a district-scoped token sees only the stations of its district', async () => {
    const token = await mintToken(stack.registry, 'viewer', { name: 'futian-viewer', scope: { kind: 'district', district: '福田区' } })
    const page = await newPage(browser)
    await signIn(page, token)
    const mine = FLEET.filter((s) => s.district === '福田区').map((s) => s.id).sort()
    await page.waitForSelector(`[data-testid=fleet-table][data-rows="${mine.length}"]`, { timeout: 30_000 })
    expect((await rowIds(page)).sort()).toEqual(mine)
    await page.waitForSelector(`[data-testid=fleet-map][data-markers="${mine.length}"]`, { timeout: 30_000 })
  })
})

describe('roles', () => {
  test('a viewer has no admin tab, and the admin routes answer 403 to its session', async () => {
    const page = await newPage(browser)
    await signIn(page, stack.tokens.secrets.viewer)
    await page.getByTestId('nav-fleet').waitFor()
    expect(await page.getByTestId('nav-admin').count()).toBe(0)
    // With the session cookie the page holds (same origin, as the app calls the API).
    const status = await page.evaluate(async () => (await fetch('/tokens')).status)
    expect(status).toBe(403)
    await page.goto(`${stack.apiUrl}/#/admin/devices`)
    await page.waitForTimeout(500) // let the view settle before looking for what is not there
    expect(await page.getByTestId('admin-devices').count()).toBe(0)
    claim401s(page, [403])
  })

  test('an admin creates a device credential and its secret is shown exactly once', async () => {
    const page = await newPage(browser)
    await signIn(page, stack.tokens.secrets.admin)
    await page.getByTestId('nav-admin').click()
    await page.getByTestId('admin-tab-devices').click()
    await page.getByTestId('device-station').selectOption(FLEET[0]!.id)
    await page.getByTestId('device-id').fill(`${FLEET[0]!.id}-sensors`)
    await page.getByTestId('device-kind').selectOption('sensors')
    await page.getByTestId('device-add').click()
    const secret = (await page.getByTestId('device-secret').textContent({ timeout: 30_000 }))!.trim()
    expect(secret.length).toBeGreaterThanOrEqual(20)
    // It is a working credential: the registry accepts it for that device.
    expect(await stack.registry.authenticatePrincipal(`${FLEET[0]!.id}-sensors`, secret)).not.toBeNull()
    await page.waitForSelector('[data-testid=device-row]')
    expect(await page.locator('body').textContent()).toContain(`${FLEET[0]!.id}-sensors`)

    // Closed, it is gone; after a reload it is nowhere on the page, not even in the table.
    await page.getByTestId('device-secret').locator('..').getByRole('button').last().click()
    expect(await page.getByTestId('device-secret').count()).toBe(0)
    await page.reload()
    await page.getByTestId('device-station').selectOption(FLEET[0]!.id)
    await page.waitForSelector('[data-testid=device-row]')
    expect(await page.content()).not.toContain(secret)
    expect(await page.getByTestId('device-secret').count()).toBe(0)
  })
})

describe('session', () => {
  test('a token revoked during the session sends the user to sign-in saying so', async () => {
    const created = await createAdmin(stack.registry).createToken('test:dashboard', { name: 'soon-revoked', role: 'viewer' })
    const page = await newPage(browser, { locale: 'en' })
    await signIn(page, created.secret, 'en')
    await page.getByTestId('nav-fleet').waitFor()
    await createAdmin(stack.registry).revokeToken('test:dashboard', created.token.id)
    // The next request (a navigation, or the live stream's next heartbeat) finds it gone.
    await page.getByTestId('nav-fleet-analytics').click()
    await page.getByTestId('sign-in-form').waitFor({ timeout: 30_000 })
    expect(await page.getByTestId('sign-in-reason').textContent()).toContain('revoked')
    claim401s(page)
  })

  test('sign-out ends the session: back at sign-in, and the API refuses the old cookie', async () => {
    const page = await newPage(browser, { locale: 'en' })
    await signIn(page, stack.tokens.secrets.viewer, 'en')
    expect(await page.evaluate(async () => (await fetch('/stations')).status)).toBe(200)
    await page.getByTestId('sign-out').click()
    await page.getByTestId('sign-in-form').waitFor({ timeout: 30_000 })
    expect(await page.getByTestId('sign-in-reason').textContent()).toContain('signed out')
    expect(await page.evaluate(async () => (await fetch('/stations')).status)).toBe(401)
    await page.reload()
    await page.getByTestId('sign-in-form').waitFor({ timeout: 30_000 })
    claim401s(page)
  })
})

describe('accessibility (axe: no serious or critical violations)', () => {
  for (const locale of ['zh-CN', 'en']) {
    test(`sign-in and fleet in ${locale}`, async () => {
      const page = await newPage(browser, { locale })
      await page.goto(`${stack.apiUrl}/#/sign-in`)
      if (locale !== 'zh-CN') await page.getByTestId('lang-switch').selectOption(locale)
      await page.getByTestId('sign-in-form').waitFor()
      const serious = (v: Awaited<ReturnType<typeof axeViolations>>) => v.filter((x) => x.impact === 'serious' || x.impact === 'critical')
      expect(await page.getAttribute('html', 'lang')).toBe(locale)
      expect(serious(await axeViolations(page))).toEqual([])
      claim401s(page)
      await page.getByTestId('token-input').fill(stack.tokens.secrets.viewer)
      await page.getByTestId('sign-in-submit').click()
      await page.waitForSelector(`[data-testid=fleet-map][data-markers="${FLEET.length}"]`, { timeout: 30_000 })
      expect(await page.getAttribute('html', 'lang')).toBe(locale)
      expect(serious(await axeViolations(page))).toEqual([])
    })
  }
})
