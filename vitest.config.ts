import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'

// The registry suite: every test file that opens its registry through test/support/test-registry.ts
// (directly or through test/support/security-app.ts). It runs once on the embedded SQLite
// registry, with everything else, and once more on PostgreSQL (issue 15: the registry suite on
// both). Found by reading the files, so a new registry test joins the PostgreSQL pass by using
// openTestRegistry.
const registrySuite = readdirSync('test', { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join('test', f))
  .filter((f) => /openTestRegistry\(|support\/security-app\.ts/.test(readFileSync(f, 'utf8')))

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Integration tests start brokers, influxd and MQTT clients; the machine has 2 cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'registry on postgres', include: registrySuite, env: { TEST_REGISTRY_DIALECT: 'postgres' } } }
    ]
  }
})
