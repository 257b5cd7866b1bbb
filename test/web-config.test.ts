// WEB_MAP_TILE_* (platform/config.ts): parsed once, a bad value stops the process naming the
// variable; GET /web-config (public) hands the tile layer to the web app; index.html's CSP lets
// images come from the tile server's origins (one per subdomain) and nowhere else.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { mapTilesFromConfig, tileOrigins } from '../api/web-config.ts'
import { loadConfig } from '../platform/config.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'

const AMAP = 'https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}'

describe('config', () => {
  test('unset: no tiles', () => {
    expect(mapTilesFromConfig(loadConfig({}))).toBeNull()
  })

  test('an AMap template with subdomains, its datum, attribution and max zoom', () => {
    const tiles = mapTilesFromConfig(loadConfig({
      WEB_MAP_TILE_URL: AMAP, WEB_MAP_TILE_SUBDOMAINS: '1,2,3,4', WEB_MAP_TILE_DATUM: 'gcj02',
      WEB_MAP_TILE_ATTRIBUTION: '© 高德地图', WEB_MAP_TILE_MAX_ZOOM: '18'
    }))
    expect(tiles).toEqual({ url: AMAP, subdomains: ['1', '2', '3', '4'], datum: 'gcj02', attribution: '© 高德地图', maxZoom: 18 })
    expect(tileOrigins(tiles)).toEqual(['https://webrd01.is.autonavi.com', 'https://webrd02.is.autonavi.com', 'https://webrd03.is.autonavi.com', 'https://webrd04.is.autonavi.com'])
  })

  test('defaults: wgs84, max zoom 18, no subdomains without {s}', () => {
    const tiles = mapTilesFromConfig(loadConfig({ WEB_MAP_TILE_URL: 'https://osm.example.org/{z}/{x}/{y}.png' }))
    expect(tiles).toEqual({ url: 'https://osm.example.org/{z}/{x}/{y}.png', subdomains: [], datum: 'wgs84', attribution: '', maxZoom: 18 })
  })

  test.each([
    [{ WEB_MAP_TILE_URL: 'https://osm.example.org/{z}/{x}.png' }, 'WEB_MAP_TILE_URL'],
    [{ WEB_MAP_TILE_URL: 'https://osm.example.org/{Z}/{x}/{y}/{z}.png' }, 'WEB_MAP_TILE_URL'],
    [{ WEB_MAP_TILE_URL: 'ftp://osm.example.org/{z}/{x}/{y}.png' }, 'WEB_MAP_TILE_URL'],
    [{ WEB_MAP_TILE_URL: 'https://osm.example.org/{z}/{x}/{y}.png', WEB_MAP_TILE_DATUM: 'bd09' }, 'WEB_MAP_TILE_DATUM'],
    [{ WEB_MAP_TILE_URL: 'https://osm.example.org/{z}/{x}/{y}.png', WEB_MAP_TILE_MAX_ZOOM: '30' }, 'WEB_MAP_TILE_MAX_ZOOM'],
    [{ WEB_MAP_TILE_URL: AMAP, WEB_MAP_TILE_SUBDOMAINS: 'a b' }, 'WEB_MAP_TILE_SUBDOMAINS']
  ])('refused: %j', (env, name) => {
    expect(() => loadConfig(env)).toThrow(name)
  })

  test('a bad datum says which values are allowed', () => {
    expect(() => loadConfig({ WEB_MAP_TILE_DATUM: 'bd09' })).toThrow('datum must be one of wgs84, gcj02')
  })
})

describe('GET /web-config and the CSP', () => {
  const root = mkdtempSync(join(tmpdir(), 'waystation-web-'))
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>')
  const ok = async () => ({ ok: true })
  const make = (mapTiles: ReturnType<typeof mapTilesFromConfig>) => buildApp({
    registry: openRegistry(':memory:'),
    influx: createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'x' }),
    logger: createLogger('silent'),
    probes: { influx: ok, broker: ok },
    webRoot: root,
    mapTiles
  })

  test('without tiles: null, and images from this origin only', async () => {
    const app = make(null)
    try {
      const res = await app.inject({ method: 'GET', url: '/web-config' })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ map: { tiles: null } })
      const page = await app.inject({ method: 'GET', url: '/' })
      expect(page.headers['content-security-policy']).toContain("img-src 'self' data:;")
    } finally { await app.close() }
  })

  test('with tiles: the layer, without a token, and its origins in img-src (nothing else widened)', async () => {
    const tiles = mapTilesFromConfig(loadConfig({ WEB_MAP_TILE_URL: AMAP, WEB_MAP_TILE_SUBDOMAINS: '1,2', WEB_MAP_TILE_DATUM: 'gcj02' }))
    const app = make(tiles)
    try {
      expect((await app.inject({ method: 'GET', url: '/web-config' })).json()).toEqual({ map: { tiles } })
      const csp = String((await app.inject({ method: 'GET', url: '/' })).headers['content-security-policy'])
      expect(csp).toContain("img-src 'self' data: https://webrd01.is.autonavi.com https://webrd02.is.autonavi.com;")
      expect(csp).toContain("connect-src 'self';")
      expect(csp).toContain("script-src 'self';")
      const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
      expect(doc.paths['/web-config'].get.responses['200']).toBeDefined()
    } finally { await app.close() }
  })
})
