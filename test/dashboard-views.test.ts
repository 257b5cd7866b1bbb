// Every view of the dashboard, in zh-CN and in English, as an admin sees it, against the real
// stack with a little real telemetry (door entries, a climate reading and an open alert, all
// over MQTT): each view renders without a console error, in English it shows no Chinese text
// (the stations and districts have Latin names here, so any CJK character is a string that
// skipped i18n), in zh-CN it shows no English phrase, nothing is wider than the window, axe finds no serious or critical issue,
// and a screenshot of each view and language is saved as .tmp/screenshots/views-<view>-<zh|en>.png (git-ignored).
import type { MqttClient } from 'mqtt'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Channel, PayloadOf } from '../contract/index.ts'
import { axeViolations, formatProblems, formatViolations, launchBrowser, newPage, screenshot, takeProblems, type LaunchedBrowser } from './support/browser.ts'
import { connectDevice, publishEvent, worker } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const ID = 'vw-001'
const DOOR = `${ID}-door`
const CLIMATE = `${ID}-climate`

let stack: TestStack
let browser: LaunchedBrowser
let door: MqttClient
let climate: MqttClient

// Each view: its path and an element that says it has rendered its data (not only its frame).
const VIEWS: Array<{ name: string, path: string, ready: string, viewport?: { width: number, height: number } }> = [
  { name: 'fleet', path: '/', ready: '[data-testid=fleet-map][data-markers="2"]' },
  { name: 'fleet-analytics', path: '/fleet-analytics', ready: '[data-testid=fleet-ranking]' },
  { name: 'station', path: `/stations/${ID}`, ready: '[data-testid=visits-chart][data-bars]' },
  { name: 'wall', path: `/wall/${ID}`, ready: '[data-testid=wall-connection][data-state=live]', viewport: { width: 1920, height: 1080 } },
  { name: 'alerts', path: '/alerts', ready: '[data-testid=alert-row]' },
  { name: 'alerts-settings', path: '/alerts/settings', ready: '[data-testid=alerts-settings-view]' },
  { name: 'restock', path: '/restock', ready: '[data-testid=restock-view]' },
  { name: 'admin', path: '/admin', ready: '[data-testid=admin-view]' }
]

beforeAll(async () => {
  stack = await startTestStack({ ALERTS_TICK_MS: '200' })
  const secrets = await stack.addStation({ id: ID, name: 'North Gate 1', district: 'Futian', timezone: 'Asia/Shanghai', lat: 22.54, lon: 114.05 }, [DOOR, CLIMATE])
  await stack.addStation({ id: 'vw-002', name: 'Harbour 2', district: 'Nanshan', timezone: 'Asia/Shanghai', lat: 22.52, lon: 113.93 })
  const put = await stack.app.inject({ method: 'PATCH', url: `/alerts/rules/door_held_open?scope=station&id=${ID}`, headers: stack.auth('admin'), payload: { pendingS: 0, holdOffS: 1 } })
  expect(put.statusCode).toBe(200)
  door = await connectDevice(stack.mqttUrl, DOOR, secrets[DOOR]!)
  climate = await connectDevice(stack.mqttUrl, CLIMATE, secrets[CLIMATE]!)
  let seq = 1
  for (let n = 1; n <= 3; n++) {
    await publishEvent(door, ID, 'door', { device: DOOR, ts: Date.now(), seq: seq++, direction: 'in', method: 'face', result: 'granted', worker: worker(n) } as PayloadOf<Channel>)
  }
  await publishEvent(climate, ID, 'environment', { device: CLIMATE, ts: Date.now(), seq: 1, temperature: 26.5, humidity: 55, co2: 650, pm25: 12 } as PayloadOf<Channel>)
  await publishEvent(door, ID, 'door_state', { device: DOOR, ts: Date.now(), seq: seq++, state: 'held_open' } as PayloadOf<Channel>)
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await door?.endAsync()
  await climate?.endAsync()
  await stack?.stop()
})

async function signIn (page: Page, locale: string): Promise<void> {
  await page.goto(`${stack.apiUrl}/#/sign-in`)
  if (locale !== 'zh-CN') await page.getByTestId('lang-switch').selectOption(locale)
  await page.getByTestId('token-input').fill(stack.tokens.secrets.admin)
  await page.getByTestId('sign-in-submit').click()
  await page.getByTestId('sign-out').waitFor({ timeout: 30_000 })
  // Expected before signing in: GET /session answers 401, and the API has no favicon.
  const expected = (p: { text: string, url?: string }) =>
    (/status of 401/.test(p.text) && p.url?.endsWith('/session') === true) || (/status of 404/.test(p.text) && p.url?.endsWith('/favicon.ico') === true)
  expect(formatProblems(takeProblems(page).filter((p) => !expected(p)))).toBe('')
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+/g
// Two lowercase English words in a row: a phrase left untranslated (units, ids and brand
// names such as "CO2", "PM2.5", "vw-001" or "Waystation" are single tokens).
const ENGLISH_PHRASE = /\b[a-z]{3,} [a-z]{3,}\b/g

describe.each(['zh-CN', 'en'])('every view in %s', (locale) => {
  test('renders, speaks only its language, passes axe, and is saved as a screenshot', async () => {
    const page = await newPage(browser, { locale })
    await signIn(page, locale)
    const tag = locale === 'zh-CN' ? 'zh' : 'en'
    for (const view of VIEWS) {
      await page.setViewportSize(view.viewport ?? { width: 1280, height: 800 })
      await page.goto(`${stack.apiUrl}/#${view.path}`)
      await page.waitForSelector(view.ready, { timeout: 30_000 })
      await page.waitForTimeout(300) // the last chart frame
      expect(await page.getAttribute('html', 'lang'), view.name).toBe(locale)
      // Every station here has coordinates: the map says nothing about stations without any.
      if (view.name === 'fleet') expect(await page.getByTestId('map-missing').count()).toBe(0)

      // The language switch names each language in itself (中文, English): not a leak.
      let text = await page.locator('body').innerText()
      for (const name of await page.locator('[data-testid=lang-switch] option').allInnerTexts()) text = text.replaceAll(name, '')
      if (locale === 'en') expect(text.match(CJK) ?? [], `${view.name}: Chinese text in the English view`).toEqual([])
      else expect(text.match(ENGLISH_PHRASE) ?? [], `${view.name}: English text in the Chinese view`).toEqual([])

      // Nothing sticks out sideways (the district counts once overflowed the fleet view at 1280 px).
      const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as number
      expect(overflow, `${view.name}: the page is wider than the window`).toBeLessThanOrEqual(0)

      const serious = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical')
      expect(serious, `${view.name}:\n${formatViolations(serious)}`).toEqual([])
      await screenshot(page, `views/${view.name}-${tag}`)
    }
  }, 240_000)
})
