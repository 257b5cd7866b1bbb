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

  test('a map marker names its station on hover and opens it on click', async () => {
    const page = await newPage(browser)
    await signIn(page, stack.tokens.secrets.viewer)
    await page.waitForSelector(`[data-testid=fleet-map][data-markers="${FLEET.length}"]`, { timeout: 30_000 })
    const canvas = page.getByTestId('fleet-map').locator('canvas').first()
    const box = (await canvas.boundingBox())!
    // The first pixel (top to bottom, below the legend) in the offline colour (#6e7781: no
    // station has sent anything yet) is the top of a marker's disc; a few px below is inside it.
    const top = await canvas.evaluate((c) => {
      const el = c as unknown as { width: number, height: number, clientWidth: number, getContext (k: '2d'): { getImageData (x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
      const d = el.getContext('2d').getImageData(0, 0, el.width, el.height).data
      const k = el.clientWidth / el.width
      for (let i = Math.ceil(40 / k) * el.width * 4; i < d.length; i += 4) {
        if (d[i] === 110 && d[i + 1] === 119 && d[i + 2] === 129) return { x: ((i / 4) % el.width) * k, y: Math.floor(i / 4 / el.width) * k }
      }
      return null
    })
    expect(top).not.toBeNull()
    await page.mouse.move(box.x + top!.x, box.y + top!.y + 4)
    const tip = await page.waitForFunction(() => {
      const divs = (globalThis as unknown as { document: { querySelectorAll (s: string): ArrayLike<{ textContent: string | null }> } }).document.querySelectorAll('[data-testid=fleet-map] div')
      for (const d of Array.from(divs)) { const m = /^(测试驿站 \d+)(fl-\d{3})$/.exec(d.textContent?.trim() ?? ''); if (m) return [m[1], m[2]] }
      return null
    }, undefined, { timeout: 10_000 })
    const [name, id] = (await tip.jsonValue()) as [string, string]
    // The tooltip's name and id are one station's: the point maps back to its own station.
    expect(FLEET.find((s) => s.id === id)?.name).toBe(name)
    await page.mouse.click(box.x + top!.x, box.y + top!.y + 4)
    await page.waitForURL(new RegExp(`#/stations/${id}$`), { timeout: 10_000 })
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

describe('admin: station datum', () => {
  test('the station form sets the datum of a station\'s coordinates (WGS-84 or GCJ-02)', async () => {
    const station = FLEET[1]!
    const datum = async () => (await stack.app.inject({ url: `/stations/${station.id}`, headers: stack.auth('admin') })).json().datum as string
    expect(await datum()).toBe('wgs84')
    const page = await newPage(browser)
    await signIn(page, stack.tokens.secrets.admin)
    await page.getByTestId('nav-admin').click()
    const row = page.getByTestId('admin-station-row').filter({ hasText: station.id })
    await row.getByRole('button', { name: '编辑' }).click()
    const select = page.getByTestId('station-datum')
    expect(await select.inputValue()).toBe('wgs84')
    // Labelled in the page's language, and named for screen readers by its label.
    expect(await page.getByLabel('坐标系').count()).toBe(1)
    expect(await select.locator('option').allTextContents()).toEqual(['WGS-84（GPS、OpenStreetMap）', 'GCJ-02（高德等国内地图）'])
    await select.selectOption('gcj02')
    await page.getByTestId('station-save').click()
    await page.getByTestId('admin-message').filter({ hasText: '已保存' }).waitFor()
    expect(await datum()).toBe('gcj02')
    // Edited again, the form shows the stored datum; back to WGS-84.
    await row.getByRole('button', { name: '编辑' }).click()
    expect(await select.inputValue()).toBe('gcj02')
    await select.selectOption('wgs84')
    await page.getByTestId('station-save').click()
    await page.getByTestId('admin-message').filter({ hasText: '已保存' }).waitFor()
    expect(await datum()).toBe('wgs84')
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
