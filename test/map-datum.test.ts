// WGS-84 ↔ GCJ-02 against reference points published with two independent implementations
// (eviltransform's test table; gcoord's GCJ02 → WGS84 test), the inverse's round trip, and no
// change outside mainland China.
import { describe, expect, test } from 'vitest'
import { convertDatum, gcj02ToWgs84, outOfChina, wgs84ToGcj02 } from '../web/src/map/datum.ts'

// wgsLat, wgsLon, gcjLat, gcjLon (eviltransform's tests: Shanghai, Shenzhen, Beijing)
const REFERENCE = [
  [31.1774276, 121.5272106, 31.17530398364597, 121.531541859215],
  [22.543847, 113.912316, 22.540796131694766, 113.9171764808363],
  [39.911954, 116.377817, 39.91334545536069, 116.38404722455657]
] as const

// 1e-9° is ~0.1 mm.
const close = (a: number, b: number, eps = 1e-9) => expect(Math.abs(a - b)).toBeLessThan(eps)

describe('WGS-84 → GCJ-02', () => {
  test.each(REFERENCE)('(%f, %f) → (%f, %f)', (wLat, wLon, gLat, gLon) => {
    const g = wgs84ToGcj02({ lat: wLat, lon: wLon })
    close(g.lat, gLat)
    close(g.lon, gLon)
  })

  test('the offset is hundreds of metres, not nothing', () => {
    const [wLat, wLon] = REFERENCE[1]
    const g = wgs84ToGcj02({ lat: wLat, lon: wLon })
    const metres = Math.hypot((g.lat - wLat) * 111_000, (g.lon - wLon) * 111_000 * Math.cos(wLat * Math.PI / 180))
    expect(metres).toBeGreaterThan(100)
    expect(metres).toBeLessThan(1000)
  })
})

describe('GCJ-02 → WGS-84 (by iteration)', () => {
  test.each(REFERENCE)('(%f, %f) ← (%f, %f)', (wLat, wLon, gLat, gLon) => {
    const w = gcj02ToWgs84({ lat: gLat, lon: gLon })
    close(w.lat, wLat, 1e-8)
    close(w.lon, wLon, 1e-8)
  })

  test("gcoord's reference point (45, 123)", () => {
    const w = gcj02ToWgs84({ lat: 45, lon: 123 })
    close(w.lat, 44.99804071, 1e-6)
    close(w.lon, 122.99395597, 1e-6)
  })

  test('round trip over a grid of mainland China to 1e-9°', () => {
    for (let lat = 18.5; lat < 53; lat += 2.5) {
      for (let lon = 74; lon < 135; lon += 3.5) {
        if (outOfChina(lat, lon)) continue
        const back = gcj02ToWgs84(wgs84ToGcj02({ lat, lon }))
        close(back.lat, lat)
        close(back.lon, lon)
      }
    }
  })
})

describe('outside mainland China nothing changes', () => {
  test.each([[48.8584, 2.2945], [-33.8568, 151.2153], [0.5, 114], [22.3, 137.9]])('(%f, %f)', (lat, lon) => {
    expect(outOfChina(lat, lon)).toBe(true)
    expect(wgs84ToGcj02({ lat, lon })).toEqual({ lat, lon })
    expect(gcj02ToWgs84({ lat, lon })).toEqual({ lat, lon })
  })

  test('same datum: the same point', () => {
    expect(convertDatum({ lat: 22.5, lon: 114 }, 'gcj02', 'gcj02')).toEqual({ lat: 22.5, lon: 114 })
    expect(convertDatum({ lat: 22.5, lon: 114 }, 'wgs84', 'gcj02')).toEqual(wgs84ToGcj02({ lat: 22.5, lon: 114 }))
  })
})

describe('Web-Mercator tile arithmetic (web/src/map/tile-math.ts)', async () => {
  const { fromWorld, tileAt, tilesCovering, tileUrl, toWorld, zoomFor } = await import('../web/src/map/tile-math.ts')

  test('the tile of a known place matches the OpenStreetMap wiki formula', () => {
    // Shenzhen Civic Center (22.5431, 114.0579): at zoom 12 tile x = floor((lon+180)/360*4096) = 3345,
    // y = floor((1 - ln(tan φ + sec φ)/π)/2 * 4096) = floor(1784.6) = 1784.
    const t = tileAt(toWorld(22.5431, 114.0579), 12)
    const n = 2 ** 12
    const rad = 22.5431 * Math.PI / 180
    expect(t.x).toBe(Math.floor((114.0579 + 180) / 360 * n))
    expect(t.y).toBe(Math.floor((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2 * n))
    expect([t.x, t.y]).toEqual([3345, 1784])
    const back = fromWorld(toWorld(22.5431, 114.0579))
    close(back.lat, 22.5431)
    close(back.lon, 114.0579)
  })

  test('zoom choice, covering tiles and URLs', () => {
    expect(zoomFor(1, 18)).toBe(0)
    expect(zoomFor(2 ** 11.4, 18)).toBe(11)
    expect(zoomFor(2 ** 11.6, 18)).toBe(12)
    expect(zoomFor(2 ** 20, 18)).toBe(18)
    const tiles = tilesCovering(0, 256, 0, 256, 1)
    expect(tiles.map((t) => `${t.z}/${t.x}/${t.y}`)).toEqual(['1/0/0', '1/1/0', '1/0/1', '1/1/1'])
    // Across the antimeridian the column wraps for the URL; rows outside the world are dropped.
    expect(tilesCovering(250, 260, -10, 10, 2).map((t) => [t.x, t.y, t.col])).toEqual([[3, 0, 3], [0, 0, 4]])
    expect(tileUrl('https://t{s}.example.org/{z}/{x}/{y}.png', { z: 3, x: 5, y: 2 }, ['1', '2', '3', '4'])).toBe('https://t4.example.org/3/5/2.png')
    expect(tileUrl('http://h/{z}/{x}/{y}', { z: 0, x: 0, y: 0 }, [])).toBe('http://h/0/0/0')
  })
})
