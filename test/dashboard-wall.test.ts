// The wall screen in real Chromium against the real stack: its "visits today" is the API's
// figure, and a door entry published over real MQTT (Aedes → ingest → InfluxDB, PUBACK once
// stored) shows on the wall within seconds. An API-only process (live view fed by the broker
// as an MQTT service client) is stopped under the wall: the wall says it is reconnecting and
// when it last updated, keeps its figures on screen, and recovers when the API is back on the
// same port, updating again.
import type { MqttClient } from 'mqtt'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { serve } from '../bin/commands/serve.ts'
import type { Channel, PayloadOf } from '../contract/index.ts'
import type { Config } from '../platform/config.ts'
import { createLogger } from '../platform/logger.ts'
import { createAdmin } from '../registry/admin.ts'
import { connectDevice, publishEvent, worker } from './support/device.ts'
import { formatProblems, launchBrowser, newPage, takeProblems, type LaunchedBrowser } from './support/browser.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const ID = 'wall-001'
const DOOR = `${ID}-door`

let stack: TestStack
let browser: LaunchedBrowser
let door: MqttClient
let seq = 1
let n = 1

beforeAll(async () => {
  stack = await startTestStack()
  const secrets = await stack.addStation({ id: ID, name: '墙屏测试驿站', district: '福田区', timezone: 'Asia/Shanghai', capacity: 8, lat: 22.54, lon: 114.05 }, [DOOR])
  door = await connectDevice(stack.mqttUrl, DOOR, secrets[DOOR]!)
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await door?.endAsync()
  await browser?.close()
  await stack?.stop()
})

/** One granted entry by a new worker, QoS 1: resolves on PUBACK, i.e. once it is stored. */
const enter = () => publishEvent(door, ID, 'door', { device: DOOR, ts: Date.now(), seq: seq++, direction: 'in', method: 'face', result: 'granted', worker: worker(n++) } as PayloadOf<Channel>)

async function apiVisitsToday (apiUrl = stack.apiUrl): Promise<number> {
  const res = await fetch(`${apiUrl}/stations/${ID}/live`, { headers: stack.auth() })
  expect(res.status).toBe(200)
  return ((await res.json()) as { visitsToday: number }).visitsToday
}

const wallVisits = async (page: Page) => Number(((await page.getByTestId('wall-visits-today').textContent()) ?? '').replace(/[^\d]/g, ''))

/** Polls the wall until its "visits today" is `want` (generous: a loaded, shared machine). */
async function wallShows (page: Page, want: number, timeoutMs = 20_000) {
  await expect.poll(() => wallVisits(page), { timeout: timeoutMs, interval: 200 }).toBe(want)
}

async function openWall (page: Page, apiUrl: string) {
  await page.goto(`${apiUrl}/#/sign-in`)
  await page.getByTestId('token-input').fill(stack.tokens.secrets.viewer)
  await page.getByTestId('sign-in-submit').click()
  await page.getByTestId('sign-out').waitFor({ timeout: 30_000 })
  await page.goto(`${apiUrl}/#/wall/${ID}`)
  await page.getByTestId('wall-visits-today').waitFor({ timeout: 30_000 })
  await page.waitForSelector('[data-testid=wall-connection][data-state=live]', { timeout: 30_000 })
}

/** Claims the console errors the test causes on purpose (401 before sign-in, refused connections while the API is down). */
function claim (page: Page, expected: RegExp) {
  const left = takeProblems(page).filter((p) => !(p.kind === 'console' && expected.test(p.text)))
  if (left.length > 0) throw new Error(`unexpected page problems:\n${formatProblems(left)}`)
}

describe('wall screen', () => {
  test('shows the API\'s visits today, and a door entry over MQTT within seconds', async () => {
    await enter()
    await enter()
    const page = await newPage(browser, { viewport: { width: 1920, height: 1080 } })
    await openWall(page, stack.apiUrl)
    const api = await apiVisitsToday()
    expect(api).toBeGreaterThanOrEqual(2)
    await wallShows(page, api)

    await enter() // PUBACK: stored
    await wallShows(page, api + 1)
    expect(await apiVisitsToday()).toBe(api + 1)
    claim(page, /status of 401/)
  })

  test('says it is reconnecting, with the time of the last update, while the API is down; recovers on the same port', async () => {
    // An API-only process, as `waystation start --api` runs it: live view from the broker.
    const { secret } = await createAdmin(stack.registry).addService('test', { id: 'wall-live', name: 'wall live view', scope: { kind: 'all' } })
    const config = (port: string): Config => ({ ...stack.config, API_PORT: Number(port), BROKER_URL: stack.mqttUrl, LIVE_MQTT_SERVICE_ID: 'wall-live', LIVE_MQTT_SERVICE_SECRET: secret, LIVE_HEARTBEAT_S: 1 })
    const logger = createLogger('silent')
    let running = await serve(config('0'), logger, { broker: false, api: true })
    const apiUrl = running.api!.url
    const port = new URL(apiUrl).port
    try {
      const page = await newPage(browser, { viewport: { width: 1920, height: 1080 } })
      await openWall(page, apiUrl)
      // Its live view follows the broker once subscribed: send until the wall moves.
      const start = await wallVisits(page)
      await expect.poll(async () => { await enter(); return wallVisits(page) }, { timeout: 20_000, interval: 1000 }).toBeGreaterThan(start)
      await expect.poll(async () => wallVisits(page), { timeout: 20_000 }).toBe(await apiVisitsToday(apiUrl))
      const before = await wallVisits(page)
      const lastUpdate = (await page.getByTestId('wall-connection').textContent())!
      expect(lastUpdate).toMatch(/\d{1,2}:\d{2}/)

      await running.shutdown('test: API down')
      await page.waitForSelector('[data-testid=wall-connection][data-state=reconnecting]', { timeout: 30_000 })
      const down = (await page.getByTestId('wall-connection').textContent())!
      expect(down).toMatch(/\d{1,2}:\d{2}/) // the time of the last update, not a dash
      expect(down).not.toContain('—')
      // Never blank: the last figures stay on screen while it is down.
      expect(await wallVisits(page)).toBe(before)
      expect(await page.getByTestId('wall-climate').isVisible()).toBe(true)

      running = await serve(config(port), logger, { broker: false, api: true })
      await page.waitForSelector('[data-testid=wall-connection][data-state=live]', { timeout: 60_000 })
      await expect.poll(async () => { await enter(); return wallVisits(page) }, { timeout: 30_000, interval: 1000 }).toBeGreaterThan(before)
      claim(page, /status of 401|ERR_CONNECTION_REFUSED|net::ERR/)
    } finally {
      await running.shutdown('test finished')
    }
  })
})
