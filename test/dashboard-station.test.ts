// The station view and the wall of a station in Europe/Berlin seen from a browser in
// Asia/Shanghai, in real Chromium against the real stack: one visits bar per day of the
// chosen range; switching to English changes the labels and survives a reload; times are
// the station's own; a live stream opened with the session cookie ends when the session is
// signed out elsewhere (the page returns to sign-in); axe finds no serious or critical
// violations on the station view and the wall in zh-CN and en.
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Channel, PayloadOf } from '../contract/index.ts'
import { addDays, todayIn } from '../web/src/composables/useFormat.ts'
import { axeViolations, formatProblems, formatViolations, launchBrowser, newPage, takeProblems, type LaunchedBrowser } from './support/browser.ts'
import { connectDevice, publishEvent, worker } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const ID = 'be-001'
const DOOR = `${ID}-door`
const ZONE = 'Europe/Berlin'

let stack: TestStack
let browser: LaunchedBrowser

beforeAll(async () => {
  // Heartbeat every second: the stream notices an ended session within a second or two.
  stack = await startTestStack({ LIVE_HEARTBEAT_S: '1' })
  const secrets = await stack.addStation({ id: ID, name: 'Raststation Berlin-Mitte', district: 'Mitte', timezone: ZONE, capacity: 6, lat: 52.52, lon: 13.4 }, [DOOR])
  const door = await connectDevice(stack.mqttUrl, DOOR, secrets[DOOR]!)
  for (let i = 1; i <= 3; i++) {
    await publishEvent(door, ID, 'door', { device: DOOR, ts: Date.now(), seq: i, direction: 'in', method: 'card', result: 'granted', worker: worker(i) } as PayloadOf<Channel>)
  }
  await door.endAsync()
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

function claim (page: Page, expected = /status of 401/) {
  const left = takeProblems(page).filter((p) => !(p.kind === 'console' && expected.test(p.text)))
  if (left.length > 0) throw new Error(`unexpected page problems:\n${formatProblems(left)}`)
}

async function signIn (page: Page, path: string, locale?: string) {
  await page.goto(`${stack.apiUrl}/#/sign-in`)
  if (locale) await page.getByTestId('lang-switch').selectOption(locale)
  await page.getByTestId('token-input').fill(stack.tokens.secrets.viewer)
  await page.getByTestId('sign-in-submit').click()
  await page.getByTestId('sign-out').waitFor({ timeout: 30_000 })
  await page.goto(`${stack.apiUrl}/#${path}`)
  claim(page)
}

const bars = (page: Page, n: number) => page.waitForSelector(`[data-testid=visits-chart][data-bars="${n}"][data-granularity=day]`, { timeout: 30_000 })

describe('station view', () => {
  test('one visits bar per day of the range; the range is the station\'s days', async () => {
    const page = await newPage(browser)
    await signIn(page, `/stations/${ID}`)
    await bars(page, 30) // the default: the last 30 days of the station
    const today = todayIn(ZONE)
    expect(await page.getByTestId('range-to').inputValue()).toBe(today)
    await page.getByTestId('range-from').fill(addDays(today, -6))
    await page.getByTestId('range-apply').click()
    await bars(page, 7)
    await page.getByTestId('range-from').fill(addDays(today, -13))
    await page.getByTestId('range-to').fill(addDays(today, -4))
    await page.getByTestId('range-apply').click()
    await bars(page, 10)
  })

  test('English changes the labels and is remembered after a reload', async () => {
    const page = await newPage(browser)
    await signIn(page, `/stations/${ID}`)
    await bars(page, 30)
    const heading = page.getByTestId('visits-chart').locator('xpath=..').locator('h2')
    const zh = await heading.textContent()
    expect(zh).toMatch(/[\u4e00-\u9fff]/)
    await page.getByTestId('lang-switch').selectOption('en')
    await expect.poll(() => heading.textContent()).toBe('Visits')
    expect(await page.getAttribute('html', 'lang')).toBe('en')
    expect(await page.getByTestId('visits-chart').getAttribute('aria-label')).toBe('Visits')
    await page.reload()
    await bars(page, 30)
    expect(await page.getByTestId('lang-switch').inputValue()).toBe('en')
    expect(await page.getAttribute('html', 'lang')).toBe('en')
    expect(await heading.textContent()).toBe('Visits')
  })

  test('the wall shows times in the station\'s zone, not the browser\'s', async () => {
    const page = await newPage(browser, { locale: 'en', timezoneId: 'Asia/Shanghai' })
    await signIn(page, `/wall/${ID}`, 'en')
    await page.waitForSelector('[data-testid=wall-connection][data-state=live]', { timeout: 30_000 })
    const text = (await page.getByTestId('wall-connection').textContent())!
    // Berlin and Shanghai are 6 or 7 hours apart: the hour tells them apart. The last update
    // was within the last minute or so (a heartbeat every second).
    const hourIn = (zone: string, ms: number) => new Intl.DateTimeFormat('en', { hour: 'numeric', hourCycle: 'h12', timeZone: zone }).format(ms).replace(/\s*[AP]M/, '')
    const shown = /(\d{1,2}):\d{2}:\d{2}/.exec(text)
    expect(shown, text).not.toBeNull()
    const now = Date.now()
    const berlin = new Set([hourIn(ZONE, now - 120_000), hourIn(ZONE, now)])
    expect(berlin.has(shown![1]!), `${text} vs Berlin hours ${[...berlin].join(', ')}`).toBe(true)
    expect(hourIn('Asia/Shanghai', now)).not.toBe(hourIn(ZONE, now))
  })
})

describe('session and stream', () => {
  test('a wall whose session is signed out in another tab returns to sign-in', async () => {
    const wall = await newPage(browser, { locale: 'en' })
    await signIn(wall, `/wall/${ID}`, 'en')
    await wall.waitForSelector('[data-testid=wall-connection][data-state=live]', { timeout: 30_000 })
    // Another tab of the same browser (same cookie jar) signs out.
    const other = await wall.context().newPage()
    await other.goto(`${stack.apiUrl}/#/`)
    await other.getByTestId('sign-out').click()
    await other.getByTestId('sign-in-form').waitFor({ timeout: 30_000 })
    // The stream ends at its next heartbeat; the wall finds the session gone and says so.
    // (Sign-out cleared the shared cookie, so the API cannot tell this tab why: "expired".)
    await wall.getByTestId('sign-in-form').waitFor({ timeout: 30_000 })
    expect(await wall.getByTestId('sign-in-reason').textContent()).toMatch(/signed out|sign in again/)
    claim(wall)
  })
})

describe('accessibility (axe: no serious or critical violations)', () => {
  for (const locale of ['zh-CN', 'en']) {
    test(`station view and wall in ${locale}`, async () => {
      const page = await newPage(browser, { locale })
      await signIn(page, `/stations/${ID}`, locale === 'zh-CN' ? undefined : locale)
      await bars(page, 30)
      await page.waitForSelector('[data-testid=dwell-summary]', { timeout: 30_000 })
      const serious = async () => (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical')
      expect(await page.getAttribute('html', 'lang')).toBe(locale)
      let found = await serious()
      expect(found, formatViolations(found)).toEqual([])
      await page.setViewportSize({ width: 1920, height: 1080 })
      await page.goto(`${stack.apiUrl}/#/wall/${ID}`)
      await page.waitForSelector('[data-testid=wall-connection][data-state=live]', { timeout: 30_000 })
      found = await serious()
      expect(found, formatViolations(found)).toEqual([])
    })
  }
})
