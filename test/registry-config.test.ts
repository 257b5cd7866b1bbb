// REGISTRY_URL puts the registry in PostgreSQL (docs/scaling.md "Registry on PostgreSQL"); absent,
// the SQLite file at REGISTRY_PATH as before. Its password never reaches a log line.
import { expect, test } from 'vitest'
import { loadConfig, registryLocation } from '../platform/config.ts'
import { createLogger } from '../platform/logger.ts'

const URL_WITH_PASSWORD = 'postgres://waystation:s3cret-pw@db.example.org:5432/waystation'

test('REGISTRY_URL: a postgres URL is accepted; absent, the SQLite file as before', () => {
  expect(loadConfig({ REGISTRY_URL: URL_WITH_PASSWORD }).REGISTRY_URL).toBe(URL_WITH_PASSWORD)
  expect(loadConfig({ REGISTRY_URL: 'postgresql://app@/registry?host=/run/postgresql' }).REGISTRY_URL).toBe('postgresql://app@/registry?host=/run/postgresql')
  const sqlite = loadConfig({ DATA_DIR: '/var/lib/waystation' })
  expect(sqlite.REGISTRY_URL).toBeUndefined()
  expect(sqlite.REGISTRY_PATH).toBe('/var/lib/waystation/registry.sqlite')
  expect(loadConfig({ REGISTRY_URL: '' }).REGISTRY_URL).toBeUndefined() // empty = unset
})

test('REGISTRY_URL: anything else is refused with the expected form, without echoing the value', () => {
  for (const bad of ['mysql://u:p@h/db', 'postgres://u:s3cret-pw@db.example.org', 'not a url', 'postgres:///db']) {
    let message = ''
    try { loadConfig({ REGISTRY_URL: bad }) } catch (err) { message = (err as Error).message }
    expect(message, bad).toContain('REGISTRY_URL: postgres://user:password@host:port/database')
    expect(message, bad).not.toContain('s3cret-pw')
  }
  expect(() => loadConfig({ REGISTRY_URL: URL_WITH_PASSWORD, REGISTRY_PATH: '/tmp/r.sqlite' })).toThrow('REGISTRY_URL (PostgreSQL) and REGISTRY_PATH (SQLite file): set one of them')
})

test('the password is redacted: in the location for logs and in a logged config', () => {
  const config = loadConfig({ REGISTRY_URL: URL_WITH_PASSWORD })
  expect(registryLocation(config)).toBe('postgres://waystation:redacted@db.example.org:5432/waystation')
  expect(registryLocation(loadConfig({ REGISTRY_PATH: '/tmp/r.sqlite' }))).toBe('/tmp/r.sqlite')
  const lines: string[] = []
  const logger = createLogger('info', { pretty: false, destination: { write: (line: string) => lines.push(line) } })
  logger.info({ config }, 'starting')
  logger.info(config, 'starting')
  expect(lines).toHaveLength(2)
  for (const line of lines) {
    expect(line).not.toContain('s3cret-pw')
    expect(line).toContain('"REGISTRY_URL":"[redacted]"')
  }
})

test('the unix-socket form keeps its empty host in the location for logs', () => {
  expect(registryLocation(loadConfig({ REGISTRY_URL: 'postgres://app:pw@/registry?host=%2Frun%2Fpostgresql' }))).toBe('postgres://app:redacted@/registry?host=%2Frun%2Fpostgresql')
})
