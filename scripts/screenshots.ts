// `node scripts/screenshots.ts [--days N]`: the README's dashboard screenshots
// (docs/screenshots/*.png), made the way the demo runs: a throw-away influxd, `waystation
// start` in this process, the five demo stations of Shenzhen with their simulated devices,
// N days of history (default 7) sent over MQTT and stored, rollups drained; then the fleet
// view, a station's charts and its wall (1920 × 1080) in Chromium, in zh-CN and en.
// Reproducible: seeded simulators, the browser's clock and zone fixed to the station's.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { serve } from '../bin/commands/serve.ts'
import { loadConfig } from '../platform/config.ts'
import { ensureDatabase, influxClient } from '../platform/influx.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { createStationSimulator } from '../simulators/station-simulator.ts'
import { launchChromium } from './chromium.ts'
import { provisionDemoFleet } from './demo-fleet.ts'
import { startInfluxd } from './influxd.ts'

const ROOT = join(import.meta.dirname, '..')
const OUT = join(ROOT, 'docs', 'screenshots')
const log = (s: string) => process.stderr.write(`${s}\n`)

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { days: { type: 'string', default: '7' } } })
  const days = Number(values.days)
  const dir = mkdtempSync(join(tmpdir(), 'waystation-screenshots-'))
  const influxd = await startInfluxd({ dataDir: join(dir, 'influxdb') })
  const config = loadConfig({ LOG_LEVEL: 'warn', DATA_DIR: dir, INFLUX_URL: influxd.url, INFLUX_DB: 'screenshots', REGISTRY_PATH: join(dir, 'registry.sqlite'), MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', API_HOST: '127.0.0.1', API_PORT: '0', API_RATE_LIMIT_MAX: '1000000' })
  const logger = createLogger(config.LOG_LEVEL)
  await ensureDatabase(influxClient(config), config.INFLUX_DB)
  const running = await serve(config, logger, { broker: true, api: true })
  const browser = await launchChromium(log)
  try {
    const registry = openRegistry(config.REGISTRY_PATH)
    const fleet = await provisionDemoFleet(registry, dir)
    registry.close()
    const mqttUrl = `mqtt://127.0.0.1:${running.broker!.port}`
    const sims = fleet.stations.map(({ station, busyness, devices }) => createStationSimulator({
      url: mqttUrl, stationId: station.id, timeZone: station.timezone, devices, seed: `demo-${station.id}`, busyness, capacity: station.capacity, logger: logger.child({ component: 'simulator' })
    }))
    const t0 = Date.now()
    await Promise.all(sims.map((s) => s.backfill({ days, until: t0 })))
    await running.rollups!.job.drain()
    log(`history: ${days} days of ${sims.length} stations stored and rolled up in ${Math.round((Date.now() - t0) / 1000)} s`)
    for (const s of sims) s.startLive({ speed: 1 })

    mkdirSync(OUT, { recursive: true })
    const first = fleet.stations[0]!.station
    for (const locale of ['zh-CN', 'en']) {
      const context = await browser.newContext({ locale, timezoneId: first.timezone, viewport: { width: 1440, height: 900 } })
      const page = await context.newPage()
      await page.goto(`${running.api!.url}/#/sign-in`)
      await page.getByTestId('lang-switch').selectOption(locale)
      await page.getByTestId('token-input').fill(fleet.viewerToken)
      await page.getByTestId('sign-in-submit').click()
      await page.waitForSelector(`[data-testid=fleet-map][data-markers="${fleet.stations.length}"]`, { timeout: 60_000 })
      const tag = locale === 'zh-CN' ? 'zh' : 'en'
      const shot = async (name: string, fullPage = false) => {
        await page.waitForTimeout(500) // the last chart frame
        const path = join(OUT, `${name}-${tag}.png`)
        await page.screenshot({ path, fullPage })
        log(`  ${path}`)
      }
      await shot('fleet')
      await page.goto(`${running.api!.url}/#/stations/${first.id}`)
      await page.getByTestId('range-from').waitFor({ timeout: 60_000 })
      await page.getByRole('button', { name: locale === 'en' ? 'Last 7 days' : '近 7 天' }).click().catch(() => undefined)
      await page.waitForSelector('[data-testid=visits-chart][data-bars]', { timeout: 60_000 })
      await page.waitForSelector('[data-testid=dwell-summary]', { timeout: 60_000 })
      await shot('station')
      await page.setViewportSize({ width: 1920, height: 1080 })
      await page.goto(`${running.api!.url}/#/wall/${first.id}`)
      await page.waitForSelector('[data-testid=wall-connection][data-state=live]', { timeout: 60_000 })
      await shot('wall')
      await context.close()
    }
    await Promise.all(sims.map((s) => s.stop()))
  } finally {
    await browser.close()
    await running.shutdown('screenshots taken')
    await influxd.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: Error) => { console.error(`screenshots failed: ${err.stack ?? err.message}`); process.exit(1) })
