// The alert views in a real browser against the real stack (broker, ingest, InfluxDB,
// evaluator, API serving the built dashboard): an alert raised by a real MQTT event shows in
// the inbox and as the wall's band; an operator acknowledges it with a note and the inbox,
// the history and the wall show it acknowledged; a viewer sees the alert but has no buttons.
// The inbox follows the live stream (no polling while it is up) and shows each alert's text
// in the UI language, built from its fields: zh-CN by default, English after switching; a
// pending alert (not yet fired) shows too, without a reload.
import type { MqttClient } from 'mqtt'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { axeViolations, formatProblems, formatViolations, launchBrowser, newPage, screenshot, takeProblems, type LaunchedBrowser } from './support/browser.ts'
import { connectDevice, publishEvent } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const STATION = 'ba-1'
const WARM = 'ba-2'
const SLOW = 'ba-3' // temperature_high with an hour's pending period: stays pending
// Generous: a loaded machine, the evaluator's tick, the live store's registry poll, the inbox's refresh.
const SEEN_WITHIN_MS = 30_000

let stack: TestStack
let browser: LaunchedBrowser
let door: MqttClient
let sensors: MqttClient
let slowSensors: MqttClient

beforeAll(async () => {
  stack = await startTestStack({ ALERTS_TICK_MS: '200' })
  const secrets = await stack.addStation({ id: STATION, name: '福田区爱心驿站 9', district: 'futian', timezone: 'Asia/Shanghai' }, [`${STATION}-door`])
  const put = await stack.app.inject({ method: 'PATCH', url: `/alerts/rules/door_held_open?scope=station&id=${STATION}`, headers: stack.auth('admin'), payload: { pendingS: 1, holdOffS: 1 } })
  expect(put.statusCode).toBe(200)
  door = await connectDevice(stack.mqttUrl, `${STATION}-door`, secrets[`${STATION}-door`]!)
  const warm = await stack.addStation({ id: WARM, name: '福田区爱心驿站 10', district: 'futian', timezone: 'Asia/Shanghai' }, [`${WARM}-sensors`])
  const hot = await stack.app.inject({ method: 'PATCH', url: `/alerts/rules/temperature_high?scope=station&id=${WARM}`, headers: stack.auth('admin'), payload: { pendingS: 0 } })
  expect(hot.statusCode).toBe(200)
  sensors = await connectDevice(stack.mqttUrl, `${WARM}-sensors`, warm[`${WARM}-sensors`]!)
  const slow = await stack.addStation({ id: SLOW, name: '福田区爱心驿站 11', district: 'futian', timezone: 'Asia/Shanghai' }, [`${SLOW}-sensors`])
  const hour = await stack.app.inject({ method: 'PATCH', url: `/alerts/rules/temperature_high?scope=station&id=${SLOW}`, headers: stack.auth('admin'), payload: { pendingS: 3600 } })
  expect(hour.statusCode).toBe(200)
  slowSensors = await connectDevice(stack.mqttUrl, `${SLOW}-sensors`, slow[`${SLOW}-sensors`]!)
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await door?.endAsync()
  await sensors?.endAsync()
  await slowSensors?.endAsync()
  await stack?.stop()
})

async function signIn (page: Page, secret: string, path: string): Promise<void> {
  await page.goto(`${stack.apiUrl}/#/sign-in?next=${encodeURIComponent(path)}`)
  await page.getByTestId('token-input').fill(secret)
  await page.getByTestId('sign-in-submit').click()
  await page.waitForURL((u) => u.hash.startsWith(`#${path}`))
  // Expected before signing in: GET /session answers 401 (no session yet), and the API has no favicon.
  const expected = (p: { text: string, url?: string }) =>
    (/status of 401/.test(p.text) && p.url?.endsWith('/session') === true) || (/status of 404/.test(p.text) && p.url?.endsWith('/favicon.ico') === true)
  expect(formatProblems(takeProblems(page).filter((p) => !expected(p)))).toBe('')
}

describe('alerts on the dashboard', () => {
  test('a real alert reaches the inbox and the wall; an operator acknowledges it with a note; a viewer cannot', async () => {
    const inbox = await newPage(browser)
    await signIn(inbox, stack.tokens.secrets.operator, '/alerts')
    await inbox.getByTestId('alerts-view').waitFor()
    const wall = await newPage(browser, { viewport: { width: 1920, height: 1080 } })
    await signIn(wall, stack.tokens.secrets.viewer, `/wall/${STATION}`)
    await wall.getByTestId('wall-visits-today').waitFor({ timeout: SEEN_WITHIN_MS })
    expect(await wall.getByTestId('wall-alert').count()).toBe(0)

    await publishEvent(door, STATION, 'door_state', { device: `${STATION}-door`, ts: Date.now(), seq: 1, state: 'held_open' })

    const row = inbox.locator(`[data-testid="alert-row"][data-station="${STATION}"][data-state="firing"]`)
    await row.waitFor({ timeout: SEEN_WITHIN_MS })
    const band = wall.getByTestId('wall-alert')
    await band.waitFor({ timeout: SEEN_WITHIN_MS })
    expect(await band.getAttribute('data-severity')).toBe('warning')
    expect(await band.textContent()).toContain('门长时间未关') // zh-CN, the default language
    expect(await band.textContent()).toMatch(/门已持续打开 \d+ 分钟/) // the text, built in zh-CN from the alert's fields
    // Readable across a room: the band's headline is large on the 1920×1080 stage.
    expect(Number.parseFloat(await band.locator('strong').evaluate((e) => (globalThis as unknown as { getComputedStyle (el: unknown): { fontSize: string } }).getComputedStyle(e).fontSize))).toBeGreaterThanOrEqual(40)

    const id = Number(await row.getAttribute('data-alert'))
    await inbox.getByTestId(`open-alert-${id}`).click()
    await inbox.getByTestId('alert-note').fill('保洁员已前往处理')
    await inbox.getByTestId('alert-ack').click()
    await inbox.locator('[data-testid="alert-state"][data-state="acknowledged"]').waitFor({ timeout: SEEN_WITHIN_MS })
    await expect.poll(() => inbox.getByTestId('alert-history').textContent(), { timeout: SEEN_WITHIN_MS }).toContain('保洁员已前往处理')
    await inbox.locator(`[data-testid="alert-row"][data-alert="${id}"][data-state="acknowledged"]`).waitFor({ timeout: SEEN_WITHIN_MS })
    expect(formatViolations(await axeViolations(inbox))).toBe('') // WCAG 2.1 AA, the other views' bar
    const stored = await stack.app.inject({ url: `/alerts/${id}`, headers: stack.auth() })
    expect(stored.json()).toMatchObject({ state: 'acknowledged', history: expect.arrayContaining([expect.objectContaining({ kind: 'acknowledged', note: '保洁员已前往处理' })]) })
    // The wall follows over SSE.
    await wall.locator('[data-testid="wall-alert"][data-state="acknowledged"]').waitFor({ timeout: SEEN_WITHIN_MS })
    await screenshot(wall, 'dashboard-alerts-wall')

    // A viewer sees the alert and its history, and no buttons.
    await wall.goto(`${stack.apiUrl}/#/alerts?id=${id}`)
    await wall.getByTestId('alert-details').waitFor()
    await wall.getByTestId('alert-viewer-note').waitFor()
    expect(await wall.getByTestId('alert-ack').count()).toBe(0)
    expect(await wall.getByTestId('alert-resolve').count()).toBe(0)
    await wall.locator(`[data-testid="alert-row"][data-alert="${id}"]`).waitFor()
  })

  test('the inbox updates from the live stream and shows the alert text in zh-CN, then in English', async () => {
    const inbox = await newPage(browser)
    // The page's timers on a clock the test can run forward (time flows normally until then).
    await inbox.clock.install()
    const lists: string[] = [] // GET /alerts (the list) made by the inbox
    inbox.on('request', (r) => { if (r.method() === 'GET' && new URL(r.url()).pathname === '/alerts') lists.push(r.url()) })
    await signIn(inbox, stack.tokens.secrets.operator, '/alerts')
    await inbox.locator('[data-testid="alerts-connection"][data-state="live"]').waitFor({ timeout: SEEN_WITHIN_MS })
    const before = lists.length

    // 35.5 °C with no people counter (assumed occupied); pending 0 for this station: fires at once.
    await publishEvent(sensors, WARM, 'environment', { device: `${WARM}-sensors`, ts: Date.now(), seq: 1, temperature: 35.5 })
    const row = inbox.locator(`[data-testid="alert-row"][data-station="${WARM}"][data-state="firing"]`)
    await row.waitFor({ timeout: SEEN_WITHIN_MS })
    expect(await row.getByTestId('alert-summary').textContent()).toBe('有人时室内 35.5 °C（上限 30 °C）')
    expect(await row.textContent()).toContain('福田区爱心驿站 10')
    const id = Number(await row.getAttribute('data-alert'))
    await inbox.getByTestId(`open-alert-${id}`).click()
    await expect.poll(() => inbox.getByTestId('alert-text').textContent(), { timeout: SEEN_WITHIN_MS }).toBe('有人时室内 35.5 °C（上限 30 °C）')

    await screenshot(inbox, 'dashboard-alerts-inbox-zh')
    await inbox.getByTestId('lang-switch').selectOption('en')
    await expect.poll(() => row.getByTestId('alert-summary').textContent(), { timeout: SEEN_WITHIN_MS }).toBe('35.5 °C inside while occupied (limit 30 °C)')
    expect(await inbox.getByTestId('alert-text').textContent()).toBe('35.5 °C inside while occupied (limit 30 °C)')
    // The stored summary stays the rule's (English) for API and CLI users.
    const stored = await stack.app.inject({ url: `/alerts/${id}`, headers: stack.auth() })
    expect(stored.json()).toMatchObject({ rule: 'temperature_high', value: 35.5, threshold: 30 })
    expect(formatViolations(await axeViolations(inbox))).toBe('')
    await screenshot(inbox, 'dashboard-alerts-inbox-en')
    // Without a reload, and not by polling: the stream's snapshot and this station's change are
    // all that made the inbox read the list since the stream was up (initial snapshot, the alert
    // firing, and one spare); and 20 s of the page's timers with nothing changing read nothing
    // (under the stream's 60 s silence watchdog, so the stream stays up).
    expect(await inbox.locator('[data-testid="alerts-connection"]').getAttribute('data-state')).toBe('live')
    expect(lists.length - before, lists.join('\n')).toBeLessThanOrEqual(3)
    const quiet = lists.length
    await inbox.clock.runFor(20_000)
    await inbox.evaluate(() => 0)
    expect(await inbox.locator('[data-testid="alerts-connection"]').getAttribute('data-state')).toBe('live')
    expect(lists.length - quiet, lists.join('\n')).toBe(0)
    await inbox.close()
  })

  test('a new pending alert shows in the open inbox without a reload', async () => {
    const inbox = await newPage(browser)
    let lastList = 0 // when the inbox last finished reading the list
    inbox.on('requestfinished', (r) => { if (r.method() === 'GET' && new URL(r.url()).pathname === '/alerts') lastList = Date.now() })
    await signIn(inbox, stack.tokens.secrets.operator, '/alerts')
    await inbox.locator('[data-testid="alerts-connection"][data-state="live"]').waitFor({ timeout: SEEN_WITHIN_MS })
    // Settled: the reads of the first load and of the stream's snapshot (debounced) are done, so
    // only what the stream says from now on can make the inbox read the list again.
    const liveAt = Date.now()
    await expect.poll(() => Date.now() - Math.max(liveAt, lastList), { timeout: SEEN_WITHIN_MS, interval: 250 }).toBeGreaterThan(2000)
    expect(await inbox.locator(`[data-testid="alert-row"][data-station="${SLOW}"]`).count()).toBe(0)
    // Over the limit, with an hour to go before it fires: pending, and it stays so.
    await publishEvent(slowSensors, SLOW, 'environment', { device: `${SLOW}-sensors`, ts: Date.now(), seq: 1, temperature: 33 })
    await expect.poll(async () => (await stack.app.inject({ url: `/alerts?station=${SLOW}&state=pending`, headers: stack.auth() })).json().alerts.length, { timeout: SEEN_WITHIN_MS }).toBe(1)
    const row = inbox.locator(`[data-testid="alert-row"][data-station="${SLOW}"][data-state="pending"]`)
    await row.waitFor({ timeout: SEEN_WITHIN_MS })
    expect(await inbox.locator('[data-testid="alerts-connection"]').getAttribute('data-state')).toBe('live')
    await inbox.close()
  })
})
