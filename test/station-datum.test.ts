// A station's datum (wgs84 default, or gcj02) through every way in and out: a registry made
// by the previous release is migrated (its stations read as wgs84), the admin API (create,
// update, CSV import, clear 400/422 on a bad value), GET /stations, the OpenAPI document and
// the CLI (exit 1 with the reason on a bad value).
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger } from '../platform/logger.ts'
import { MIGRATIONS } from '../registry/migrations.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { apiTokens } from './support/api-tokens.ts'
import { openTestRegistry } from './support/test-registry.ts'

const dir = mkdtempSync(join(tmpdir(), 'waystation-datum-'))
const registry = await openTestRegistry()
const as = await apiTokens(registry)
const ok = async () => ({ ok: true })
const app = buildApp({ registry, influx: createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'x' }), logger: createLogger('silent'), probes: { influx: ok, broker: ok }, webRoot: null })
afterAll(async () => {
  await app.close()
  registry.close()
})

const send = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => app.inject({ method, url, headers: as.admin, ...(payload ? { payload } : {}) })
const csv = (body: string) => app.inject({ method: 'POST', url: '/stations/import', headers: { ...as.admin, 'content-type': 'text/csv' }, payload: body })

describe('registry migration', () => {
  test('stations of a registry made before the datum column read as wgs84', async () => {
    const path = join(dir, 'old.sqlite')
    const db = new DatabaseSync(path)
    // The schema as the release before the datum left it: the migrations before the datum's.
    const datum = MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN datum'))
    expect(datum).toBeGreaterThan(0)
    for (const m of MIGRATIONS.slice(0, datum)) db.exec(m)
    db.exec(`PRAGMA user_version = ${datum}`)
    db.prepare("INSERT INTO stations (id, name, lat, lon, created_at) VALUES ('old-1', 'old', 22.5, 114.0, '2026-01-01T00:00:00Z')").run()
    db.close()

    const reg = openRegistry(path)
    try {
      expect(await reg.getStation('old-1')).toMatchObject({ id: 'old-1', lat: 22.5, lon: 114, datum: 'wgs84' })
    } finally {
      reg.close()
    }
  })
})

describe('admin API and GET /stations', () => {
  test('create and update with a datum; the default is wgs84; a bad value is a clear 400', async () => {
    const plain = await send('POST', '/stations', { id: 'dt-1', name: 'plain', lat: 22.54, lon: 114.05 })
    expect(plain.statusCode).toBe(201)
    expect(plain.json().datum).toBe('wgs84')
    const amap = await send('POST', '/stations', { id: 'dt-2', name: 'from AMap', lat: 22.5416, lon: 114.0931, datum: 'gcj02' })
    expect(amap.statusCode).toBe(201)
    expect(amap.json().datum).toBe('gcj02')

    const bad = await send('POST', '/stations', { id: 'dt-3', name: 'bad', datum: 'bd09' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().message).toContain('datum must be one of wgs84, gcj02')
    expect(await registry.getStation('dt-3')).toBeNull()

    const patched = await send('PATCH', '/stations/dt-1', { datum: 'gcj02' })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ datum: 'gcj02', lat: 22.54 })
    const badPatch = await send('PATCH', '/stations/dt-1', { datum: 'WGS-84' })
    expect(badPatch.statusCode).toBe(400)
    expect(badPatch.json().message).toContain('datum must be one of wgs84, gcj02')
    expect((await registry.getStation('dt-1'))!.datum).toBe('gcj02')

    const list = await app.inject({ method: 'GET', url: '/stations', headers: as.viewer })
    expect(Object.fromEntries(list.json().stations.map((s: { id: string, datum: string }) => [s.id, s.datum]))).toMatchObject({ 'dt-1': 'gcj02', 'dt-2': 'gcj02' })
    const one = await app.inject({ method: 'GET', url: '/stations/dt-2', headers: as.viewer })
    expect(one.json().datum).toBe('gcj02')
  })

  test('CSV import takes a datum column (empty: wgs84) and lists a bad one with its line', async () => {
    const good = await csv('id,name,lat,lon,datum\nim-1,一,22.5,114.0,gcj02\nim-2,二,22.6,114.1,\nim-3,三,22.7,114.2,WGS84\n')
    expect(good.statusCode, good.body).toBe(201)
    expect(await Promise.all(['im-1', 'im-2', 'im-3'].map(async (id) => (await registry.getStation(id))!.datum))).toEqual(['gcj02', 'wgs84', 'wgs84'])

    const bad = await csv('id,name,datum\nim-4,四,gcj02\nim-5,五,bd09\n')
    expect(bad.statusCode).toBe(422)
    expect(bad.json().errors).toEqual(['line 3 (im-5): datum: datum must be one of wgs84, gcj02'])
    expect(await registry.getStation('im-4')).toBeNull() // all or nothing
  })

  test('the OpenAPI document describes the datum on create, update and the station', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
    const post = doc.paths['/stations'].post.requestBody.content['application/json'].schema
    expect(post.properties.datum).toMatchObject({ enum: ['wgs84', 'gcj02'], default: 'wgs84' })
    expect(doc.paths['/stations/{id}'].patch.requestBody.content['application/json'].schema.properties.datum.enum).toEqual(['wgs84', 'gcj02'])
    expect(JSON.stringify(doc.paths['/stations'].get.responses['200'])).toContain('"datum"')
    expect(doc.paths['/stations/import'].post.description).toContain('datum')
  })
})

describe('CLI', () => {
  const entry = join(import.meta.dirname, '..', 'bin', 'waystation.ts')
  const env = { ...process.env, REGISTRY_PATH: join(dir, 'cli.sqlite'), LOG_LEVEL: 'warn' }
  const cli = (args: string[]) => spawnSync(process.execPath, [entry, ...args], { env, encoding: 'utf8' })

  test('stations add/update --datum; a bad value exits 1 saying what is allowed', () => {
    const add = cli(['stations', 'add', '--id', 'cli-dt-1', '--name', '驿站', '--lat', '22.54', '--lon', '114.05', '--datum', 'gcj02', '--timezone', 'Asia/Shanghai', '--capacity', '8'])
    expect(add.status, add.stderr).toBe(0)
    expect(JSON.parse(add.stdout)).toMatchObject({ id: 'cli-dt-1', datum: 'gcj02' })
    const bad = cli(['stations', 'update', 'cli-dt-1', '--datum', 'mars'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain('datum must be one of wgs84, gcj02')
    const upd = cli(['stations', 'update', 'cli-dt-1', '--datum', 'wgs84'])
    expect(upd.status, upd.stderr).toBe(0)
    expect(JSON.parse(cli(['stations', 'show', 'cli-dt-1']).stdout).datum).toBe('wgs84')
  })
})
