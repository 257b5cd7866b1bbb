// How the fleet map places its stations. Without a tile server (the default): on a plane,
// longitude scaled by the cosine of the fleet's mean latitude against latitude, exactly as
// before tiles existed. With one (GET /web-config): in Web-Mercator world units, each station
// converted from its own datum (GET /stations) to the tiles' datum, the axes kept at one scale
// for x and y (tiles are square) and the tile layer drawn under the markers. FleetMap.vue
// passes its chart option through decorate(); the rest of the chart is its own.
import { onBeforeUnmount, onMounted, ref, shallowRef, watch } from 'vue'
import { useApi } from '../api/client.ts'
import type { ECharts } from '../components/echarts.ts'
import type { FleetStore } from '../composables/fleet-store.ts'
import { convertDatum, type Datum } from './datum.ts'
import { loadMapTiles, type MapTiles } from './tile-config.ts'
import { createTileLayer, type TileLayer } from './tile-layer.ts'
import { toWorld } from './tile-math.ts'

type Columns = Pick<FleetStore, 'n' | 'ids' | 'lat' | 'lon'>

// The plot area in tile mode (the same margins as the plane's grid: legend above).
const GRID = { left: 8, right: 8, top: 32, bottom: 8 }
// The fitted view is at least this wide in world units (0.01 ≈ 1.5 km at the equator), so a
// single station is not shown at a zoom no tile server has.
const MIN_SPAN = 0.01
// The axes reach this many times the fitted view, so the map can be zoomed out and panned.
const ROOM = 4
// Station datums are asked for again when an unknown station appears, at most this often.
const DATUMS_REFRESH_MS = 30_000

/** `placed`: the indices of the fleet's stations that have a position. */
export function useMapView (fleet: () => Columns, placed: () => readonly number[]) {
  const api = useApi()
  const tiles = shallowRef<MapTiles | null>(null)
  const datums = shallowRef<ReadonlyMap<string, Datum>>(new Map())
  const size = shallowRef({ w: 0, h: 0 })
  /** The element around the chart: the tile layer goes in it, behind the chart. */
  const box = ref<HTMLElement | null>(null)
  let chart: ECharts | null = null
  let layer: TileLayer | null = null
  let observer: ResizeObserver | null = null
  let extentKey = ''
  // The zoom window (dataZoom startValue/endValue, world units) last set or left by the user:
  // kept across the option's updates (live data) while the stations' extent is unchanged.
  // Values, not percentages: ECharts takes a percentage of an extent of its own making.
  let zoomWindow = { x: [0, 256], y: [-256, 0] }
  let datumsAt = 0
  let loadingDatums = false
  let unmounted = false

  function startLayer () {
    if (layer || !chart || !tiles.value || !box.value) return
    layer = createTileLayer(box.value, chart, tiles.value, GRID)
    layer.element.dataset.datums = String(datums.value.size)
  }

  async function loadDatums () {
    if (loadingDatums || (datumsAt > 0 && Date.now() - datumsAt < DATUMS_REFRESH_MS)) return
    loadingDatums = true
    try {
      const { stations: list } = await api.stations.list()
      datums.value = new Map(list.map((s) => [s.id, s.datum]))
      datumsAt = Date.now()
      if (layer) layer.element.dataset.datums = String(datums.value.size)
    } catch { /* a 401 signs out (api/http.ts); otherwise keep what is known and try again later */ } finally {
      loadingDatums = false
    }
  }

  watch([tiles, fleet], () => {
    if (!tiles.value) return
    const known = datums.value
    const f = fleet()
    if (datumsAt === 0 || f.ids.some((id, i) => i < f.n && !known.has(id))) void loadDatums()
  })

  onMounted(async () => {
    const el = box.value
    if (el) {
      size.value = { w: el.clientWidth, h: el.clientHeight }
      observer = new ResizeObserver(() => {
        if (el.clientWidth !== size.value.w || el.clientHeight !== size.value.h) size.value = { w: el.clientWidth, h: el.clientHeight }
      })
      observer.observe(el)
    }
    const t = await loadMapTiles()
    if (unmounted) return
    tiles.value = t
    startLayer()
  })

  onBeforeUnmount(() => {
    unmounted = true
    observer?.disconnect()
    layer?.dispose()
    layer = null
  })

  /** Chart coordinates of the stations `pts` (indices into f) for the current mode: x0 y0 x1 y1 … */
  function project (f: Columns, pts: readonly number[]): Float64Array {
    const out = new Float64Array(pts.length * 2)
    const t = tiles.value
    if (!t) {
      let sum = 0
      for (const i of pts) sum += f.lat[i]!
      const k = Math.cos(((pts.length ? sum / pts.length : 0) * Math.PI) / 180)
      pts.forEach((i, j) => { out[2 * j] = f.lon[i]! * k; out[2 * j + 1] = f.lat[i]! })
      return out
    }
    const known = datums.value
    pts.forEach((i, j) => {
      const p = convertDatum({ lat: f.lat[i]!, lon: f.lon[i]! }, known.get(f.ids[i]!) ?? 'wgs84', t.datum)
      const w = toWorld(p.lat, p.lon)
      out[2 * j] = w.x
      out[2 * j + 1] = -w.y
    })
    return out
  }

  /**
   * The chart option for the current mode: unchanged without tiles; with tiles, square axes
   * fitted to the stations (with room around them) and the zoom the user left, kept while
   * the stations' extent stays the same.
   */
  function decorate<O extends { series: Array<{ data: ArrayLike<number> }> }> (option: O): O {
    if (!tiles.value) return option
    const gw = Math.max(size.value.w - GRID.left - GRID.right, 100)
    const gh = Math.max(size.value.h - GRID.top - GRID.bottom, 100)
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity]
    for (const s of option.series) {
      const d = s.data
      for (let k = 0; k + 1 < d.length; k += 2) {
        const x = d[k]!
        const y = d[k + 1]!
        if (x < x0) x0 = x
        if (x > x1) x1 = x
        if (y < y0) y0 = y
        if (y > y1) y1 = y
      }
    }
    if (!Number.isFinite(x0)) [x0, x1, y0, y1] = [0, 256, -256, 0] // no station placed: the world
    const unitsPerPx = Math.max(Math.max(x1 - x0, MIN_SPAN) * 1.15 / gw, Math.max(y1 - y0, MIN_SPAN) * 1.15 / gh)
    const cx = (x0 + x1) / 2
    const cy = (y0 + y1) / 2
    const hw = unitsPerPx * gw / 2 * ROOM
    const hh = unitsPerPx * gh / 2 * ROOM
    const extent = [cx - hw, cx + hw, cy - hh, cy + hh]
    const key = extent.map((v) => v.toPrecision(12)).join()
    if (key !== extentKey) zoomWindow = { x: [cx - hw / ROOM, cx + hw / ROOM], y: [cy - hh / ROOM, cy + hh / ROOM] }
    extentKey = key
    const { x: zx, y: zy } = zoomWindow
    const axis = { type: 'value', axisLabel: { show: false }, axisTick: { show: false }, axisLine: { show: false }, splitLine: { show: false } }
    return {
      ...option,
      grid: GRID,
      xAxis: { ...axis, min: extent[0], max: extent[1] },
      yAxis: { ...axis, min: extent[2], max: extent[3] },
      dataZoom: [
        { type: 'inside', xAxisIndex: 0, filterMode: 'none', startValue: zx[0], endValue: zx[1] },
        { type: 'inside', yAxisIndex: 0, filterMode: 'none', startValue: zy[0], endValue: zy[1] }
      ]
    }
  }

  return {
    box,
    tiles,
    project,
    decorate,
    /** Call with the chart once it exists (EChart's `ready`). */
    attach (c: ECharts) {
      chart = c
      // After a wheel or drag the chart is already updated: read the window it shows.
      c.on('datazoom', () => {
        const a = c.convertFromPixel({ gridIndex: 0 }, [GRID.left, GRID.top]) as number[] | undefined
        const b = c.convertFromPixel({ gridIndex: 0 }, [c.getWidth() - GRID.right, c.getHeight() - GRID.bottom]) as number[] | undefined
        if (a && b && [...a, ...b].every(Number.isFinite)) zoomWindow = { x: [a[0]!, b[0]!], y: [b[1]!, a[1]!] }
      })
      startLayer()
    }
  }
}
