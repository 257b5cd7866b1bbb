// The alert settings view (#/alerts/settings) in a real browser against the real stack: an
// admin changes one rule threshold for one station (and only that setting is overridden
// there), adds a webhook and sees its secret once; each threshold shows its unit, and "—"
// where a rule has no such field; an operator adds a silence and sees no rule
// or webhook settings; a viewer sees only a note, and the API refuses every write with 403.
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { axeViolations, formatProblems, formatViolations, launchBrowser, newPage, screenshot, takeProblems, type LaunchedBrowser } from './support/browser.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const STATION = 'bs-1'
const WAIT_MS = 30_000

let stack: TestStack
let browser: LaunchedBrowser

beforeAll(async () => {
  stack = await startTestStack()
  await stack.addStation({ id: STATION, name: '南山区爱心驿站 3', district: 'nanshan', timezone: 'Asia/Shanghai' })
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
})

// Expected before signing in: GET /session answers 401 (no session yet), and the API has no favicon.
const expected = (p: { text: string, url?: string }) =>
  (/status of 401/.test(p.text) && p.url?.endsWith('/session') === true) || (/status of 404/.test(p.text) && p.url?.endsWith('/favicon.ico') === true)
const problems = (page: Page) => formatProblems(takeProblems(page).filter((p) => !expected(p)))

async function signIn (page: Page, secret: string, path: string): Promise<void> {
  await page.goto(`${stack.apiUrl}/#/sign-in?next=${encodeURIComponent(path)}`)
  await page.getByTestId('token-input').fill(secret)
  await page.getByTestId('sign-in-submit').click()
  await page.waitForURL((u) => u.hash.startsWith(`#${path}`))
  await page.getByTestId('alerts-settings-view').waitFor()
  expect(problems(page)).toBe('')
}

/** `<input type="datetime-local">` value `hours` from now, in the browser's zone. */
const localInput = (page: Page, hours: number) => page.evaluate((h) => {
  const d = new Date(Date.now() + h * 3_600_000)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`
}, hours)

describe('alert settings view', () => {
  test('an admin changes a rule threshold for one station and adds a webhook (secret shown once)', async () => {
    const page = await newPage(browser)
    await signIn(page, stack.tokens.secrets.admin, '/alerts/settings')
    const rules = page.getByTestId('alert-rules')
    await rules.getByTestId('rules-scope').selectOption('station')
    await rules.getByTestId('rules-scope-id').fill(STATION)
    await rules.getByTestId('rules-load').click()
    const row = rules.locator('[data-testid="rule-row"][data-rule="temperature_high"]')
    await row.waitFor({ timeout: WAIT_MS })
    await expect.poll(() => row.getByTestId('rule-threshold').inputValue(), { timeout: WAIT_MS }).toBe('30')
    await row.getByTestId('rule-threshold').fill('32.5')
    await row.getByTestId('rule-save').click()
    await row.getByTestId('rule-saved').waitFor({ timeout: WAIT_MS })
    await rules.locator('[data-testid="rule-row"][data-rule="temperature_high"][data-overridden="true"]').waitFor({ timeout: WAIT_MS })

    const effective = await stack.app.inject({ url: `/alerts/rules?scope=station&id=${STATION}`, headers: stack.auth('admin') })
    expect(effective.statusCode).toBe(200)
    const body = effective.json()
    expect(body.rules.temperature_high).toMatchObject({ threshold: 32.5, clearThreshold: 28, pendingS: 600 })
    // Only what was changed is overridden at the station: the rest still follows the fleet and district.
    expect(body.overrides).toEqual([expect.objectContaining({ scope: 'station', scopeId: STATION, rule: 'temperature_high', settings: { threshold: 32.5 } })])
    const fleet = await stack.app.inject({ url: '/alerts/rules', headers: stack.auth('admin') })
    expect(fleet.json().rules.temperature_high.threshold).toBe(30)

    const hooks = page.getByTestId('alert-webhooks')
    await hooks.getByTestId('webhook-name').fill('南山 WeCom group')
    await hooks.getByTestId('webhook-url').fill('https://hooks.example.org/ws/nanshan')
    await hooks.getByTestId('webhook-add').click()
    const secret = (await hooks.getByTestId('webhook-secret').textContent({ timeout: WAIT_MS }))!.trim()
    expect(secret.length).toBeGreaterThanOrEqual(20)
    await expect.poll(() => hooks.getByTestId('webhook-row').allTextContents(), { timeout: WAIT_MS }).toEqual([expect.stringContaining('南山 WeCom group')])
    const listed = await stack.app.inject({ url: '/webhooks', headers: stack.auth('admin') })
    expect(listed.json().webhooks).toEqual([expect.objectContaining({ name: '南山 WeCom group', url: 'https://hooks.example.org/ws/nanshan', scope: 'all' })])
    expect(listed.body).not.toContain(secret)
    expect(formatViolations(await axeViolations(page))).toBe('')
    expect(problems(page)).toBe('')

    // Shown once: after a reload the webhook is listed, its secret is not.
    await page.reload()
    await page.getByTestId('webhook-row').first().waitFor({ timeout: WAIT_MS })
    expect(await page.getByTestId('webhook-secret').count()).toBe(0)
    expect(await page.content()).not.toContain(secret)
    await page.close()
  })

  test('each threshold shows its unit, durations also in minutes or hours, and "—" where a rule has no such field (zh-CN, English)', async () => {
    const page = await newPage(browser)
    await signIn(page, stack.tokens.secrets.admin, '/alerts/settings')
    const rules = page.getByTestId('alert-rules')
    const row = (rule: string) => rules.locator(`[data-testid="rule-row"][data-rule="${rule}"]`)
    await row('temperature_high').waitFor({ timeout: WAIT_MS })
    const text = async (rule: string, id: string) => ((await row(rule).getByTestId(id).textContent()) ?? '').trim()
    const units = (rule: string) => Promise.all([text(rule, 'rule-threshold-unit'), text(rule, 'rule-clear-unit')])
    const notApplicable = async (rule: string) => ({
      threshold: await row(rule).getByTestId('rule-threshold-na').count(), clear: await row(rule).getByTestId('rule-clear-na').count(),
      inputs: await row(rule).getByTestId('rule-threshold').count() + await row(rule).getByTestId('rule-clear-threshold').count()
    })

    // Symbols are the same in both languages.
    for (const [rule, unit] of [['temperature_high', '°C'], ['temperature_low', '°C'], ['co2_high', 'ppm'], ['pm25_high', 'µg/m³']]) {
      expect(await units(rule!), rule).toEqual([unit, unit])
    }
    // A rule that fires on a state, not a number: neither field applies (no input, no "0").
    for (const rule of ['equipment_fault', 'door_held_open']) expect(await notApplicable(rule), rule).toEqual({ threshold: 1, clear: 1, inputs: 0 })
    // A rule that clears as soon as its condition is gone: no clear threshold.
    for (const rule of ['station_offline', 'energy_waste', 'night_alone', 'data_gap', 'silent_door']) {
      expect(await row(rule).getByTestId('rule-clear-na').count(), rule).toBe(1)
      expect(await row(rule).getByTestId('rule-clear-threshold').count(), rule).toBe(0)
    }
    expect(await units('over_capacity')).toEqual(['% 容量', '% 容量'])
    expect(await units('supply_low')).toEqual(['% 货架容量', '% 货架容量'])
    expect(await text('station_offline', 'rule-threshold-unit')).toBe('秒')
    expect(await text('station_offline', 'rule-threshold-duration')).toBe('（10 分钟）')
    expect(await text('night_alone', 'rule-threshold-duration')).toBe('（3 小时）')
    expect(await text('silent_door', 'rule-threshold-unit')).toBe('预期进站人次')
    expect(await text('door_held_open', 'rule-pending-duration')).toBe('（5 分钟）')
    expect(await row('equipment_fault').getByTestId('rule-threshold-na').textContent()).toContain('不适用')
    await screenshot(page, 'dashboard-alerts-settings-zh')

    await page.getByTestId('lang-switch').selectOption('en')
    await expect.poll(() => text('over_capacity', 'rule-threshold-unit'), { timeout: WAIT_MS }).toBe('% of capacity')
    expect(await units('temperature_high')).toEqual(['°C', '°C'])
    expect(await units('supply_low')).toEqual(['% of shelf', '% of shelf'])
    expect(await text('station_offline', 'rule-threshold-unit')).toBe('s')
    expect(await text('station_offline', 'rule-threshold-duration')).toBe('(10 min)')
    expect(await text('night_alone', 'rule-threshold-duration')).toBe('(3 h)')
    expect(await text('silent_door', 'rule-threshold-unit')).toBe('expected entries')
    expect(await row('equipment_fault').getByTestId('rule-threshold-na').textContent()).toContain('not applicable')
    // A duration typed in seconds is shown in minutes as it is typed.
    await row('data_gap').getByTestId('rule-threshold').fill('5400')
    await expect.poll(() => text('data_gap', 'rule-threshold-duration')).toBe('(1.5 h)')
    await screenshot(page, 'dashboard-alerts-settings-en')
    expect(formatViolations(await axeViolations(page))).toBe('')
    expect(problems(page)).toBe('')
    await page.close()
  })

  test('an operator adds a silence and sees no rule or webhook settings', async () => {
    const page = await newPage(browser)
    await signIn(page, stack.tokens.secrets.operator, '/alerts/settings')
    const silences = page.getByTestId('alert-silences')
    await silences.waitFor()
    expect(await page.getByTestId('alert-rules').count()).toBe(0)
    expect(await page.getByTestId('alert-webhooks').count()).toBe(0)
    await silences.getByTestId('silence-scope-id').fill(STATION)
    await silences.getByTestId('silence-rule').selectOption('door_held_open')
    const ends = await localInput(page, 2)
    await silences.getByTestId('silence-ends').fill(ends)
    await silences.getByTestId('silence-reason').fill('保洁维修')
    await silences.getByTestId('silence-add').click()
    await expect.poll(() => silences.getByTestId('silence-row').allTextContents(), { timeout: WAIT_MS }).toEqual([expect.stringContaining('保洁维修')])

    const listed = (await stack.app.inject({ url: '/alerts/silences', headers: stack.auth('viewer') })).json().silences
    expect(listed).toEqual([expect.objectContaining({ scope: 'station', scopeId: STATION, rule: 'door_held_open', reason: '保洁维修', endedAt: null })])
    // The time typed in the browser's zone is the instant stored (to the minute).
    const want = await page.evaluate((v) => new Date(v).getTime(), ends)
    expect(Date.parse(listed[0].endsAt)).toBe(want)
    // Operators may not change rules or webhooks.
    expect((await stack.app.inject({ method: 'PATCH', url: `/alerts/rules/co2_high?scope=station&id=${STATION}`, headers: stack.auth('operator'), payload: { threshold: 2000 } })).statusCode).toBe(403)
    expect((await stack.app.inject({ method: 'POST', url: '/webhooks', headers: stack.auth('operator'), payload: { name: 'x', url: 'https://example.org/x' } })).statusCode).toBe(403)
    expect(formatViolations(await axeViolations(page))).toBe('')
    expect(problems(page)).toBe('')
    await page.close()
  })

  test('a viewer sees a note and no settings; the API refuses their writes with 403', async () => {
    const page = await newPage(browser)
    await signIn(page, stack.tokens.secrets.viewer, '/alerts/settings')
    await page.getByTestId('alerts-settings-view').getByRole('alert').waitFor()
    for (const id of ['alert-silences', 'alert-rules', 'alert-webhooks']) expect(await page.getByTestId(id).count(), id).toBe(0)
    // Nor does the inbox link to the settings.
    await page.goto(`${stack.apiUrl}/#/alerts`)
    await page.getByTestId('alerts-view').waitFor()
    expect(await page.getByTestId('alerts-settings-link').count()).toBe(0)
    expect(problems(page)).toBe('')
    await page.close()

    const viewer = stack.auth('viewer')
    const silence = (await stack.app.inject({ url: '/alerts/silences', headers: viewer })).json().silences[0]
    const writes = [
      { method: 'PATCH' as const, url: `/alerts/rules/temperature_high?scope=station&id=${STATION}`, payload: { threshold: 40 } },
      { method: 'POST' as const, url: '/alerts/silences', payload: { scope: 'station', scopeId: STATION, endsAt: new Date(Date.now() + 3_600_000).toISOString(), reason: 'x' } },
      { method: 'POST' as const, url: `/alerts/silences/${silence.id}/end` },
      { method: 'POST' as const, url: '/webhooks', payload: { name: 'x', url: 'https://example.org/x' } }
    ]
    for (const w of writes) expect((await stack.app.inject({ ...w, headers: viewer })).statusCode, `${w.method} ${w.url}`).toBe(403)
    // Nothing changed.
    const rules = (await stack.app.inject({ url: `/alerts/rules?scope=station&id=${STATION}`, headers: stack.auth('admin') })).json()
    expect(rules.rules.temperature_high.threshold).toBe(32.5)
    expect((await stack.app.inject({ url: '/alerts/silences', headers: viewer })).json().silences).toEqual([expect.objectContaining({ id: silence.id, endedAt: null })])
    expect((await stack.app.inject({ url: '/webhooks', headers: stack.auth('admin') })).json().webhooks).toHaveLength(1)
  })
})
