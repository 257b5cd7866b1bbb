// The fleet map with 10,000 stations in real Chromium against the real stack: it draws every
// marker and the page reports no error. A generous bound only; how fast it is belongs in
// bench/dashboard.ts (bench/RESULTS.md).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { FleetLiveSummary } from '../api/live/schemas.ts'
import { buildDashboardFleet, type DashboardFleet } from '../bench/lib/dashboard-fleet.ts'
import { formatProblems, launchBrowser, newPage, takeProblems, type LaunchedBrowser } from './support/browser.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const STATIONS = 10_000
const dir = mkdtempSync(join(tmpdir(), 'waystation-map-10k-'))
let stack: TestStack
let browser: LaunchedBrowser
let fleet: DashboardFleet

beforeAll(async () => {
  // The bench's fleet (seeded: the same every run), 10,000 stations over Guangdong.
  const registryPath = join(dir, 'registry.sqlite')
  fleet = await buildDashboardFleet(registryPath, { stations: STATIONS, doorStations: 1, seed: 'test' })
  stack = await startTestStack({ REGISTRY_PATH: registryPath })
  browser = await launchBrowser()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await stack?.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('the fleet map draws 10,000 markers without an error', async () => {
  const page = await newPage(browser, { viewport: { width: 1920, height: 1080 } })
  // The fleet view loads the compact summary, compressed (Chromium accepts br and gzip).
  const summary = page.waitForResponse((r) => new URL(r.url()).pathname === '/live/summary', { timeout: 120_000 })
  await page.goto(`${stack.apiUrl}/#/sign-in`)
  await page.getByTestId('token-input').fill(fleet.viewerToken)
  await page.getByTestId('sign-in-submit').click()
  expect(['br', 'gzip']).toContain((await summary).headers()['content-encoding'])
  // As columns (one array per field), not 10,000 objects.
  expect(new URL((await summary).url()).searchParams.get('format')).toBe('columns')
  await page.waitForSelector(`[data-testid=fleet-map][data-markers="${STATIONS}"]`, { timeout: 120_000 })
  expect(await page.getByTestId('fleet-table').getAttribute('data-rows')).toBe(String(STATIONS))
  // Pages of 100 rows: the table never renders 10,000 at once, on any page.
  expect(await page.getByTestId('fleet-row').count()).toBe(100)
  expect(await page.getByTestId('fleet-pages').getAttribute('data-pages')).toBe(String(STATIONS / 100))
  const firstPage = await page.getByTestId('fleet-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-station')))
  await page.getByTestId('fleet-next').click()
  await page.waitForSelector('[data-testid=fleet-pages][data-page="2"]')
  const secondPage = await page.getByTestId('fleet-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-station')))
  expect(secondPage).toHaveLength(100)
  expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([])
  // Built from the columns: no history, so every station has 0 visits today and the default
  // order (visits, most first) falls back to the station id: the first 200 ids, in order.
  const res = await fetch(`${stack.apiUrl}/live/summary`, { headers: { authorization: `Bearer ${fleet.viewerToken}` } })
  const rows = (await res.json() as FleetLiveSummary).stations
  const ids = rows.map((r) => r.stationId).sort()
  expect([...firstPage, ...secondPage]).toEqual(ids.slice(0, 200))
  // A district filter counts what the API says is in that district.
  const district = rows[0]!.district
  await page.getByTestId('fleet-district').selectOption(district)
  const inDistrict = rows.filter((r) => r.district === district).length
  await page.waitForSelector(`[data-testid=fleet-table][data-rows="${inDistrict}"]`)
  const shown = await page.getByTestId('fleet-row').evaluateAll((els) => els.map((r) => r.getAttribute('data-station')))
  expect(shown.every((id) => rows.find((r) => r.stationId === id)?.district === district)).toBe(true)
  await page.getByTestId('fleet-district').selectOption('')
  await page.waitForSelector(`[data-testid=fleet-table][data-rows="${STATIONS}"]`)
  // A new sort goes back to the first page.
  await page.getByTestId('sort-name').click()
  await page.waitForSelector('[data-testid=fleet-pages][data-page="1"]')
  expect(await page.getByTestId('fleet-row').count()).toBe(100)
  const left = takeProblems(page).filter((p) => !(p.kind === 'console' && /status of 401/.test(p.text) && p.url?.endsWith('/session')))
  expect(left, formatProblems(left)).toEqual([])
}, 180_000)
