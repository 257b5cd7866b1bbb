// Web-Mercator tiles drawn under an ECharts scatter chart whose coordinates are world units
// (x, -y: the chart's y axis points up). The tiles are <img> elements in a layer behind the
// chart's transparent canvas, clipped to the plot area; after every render and zoom/pan the
// layer asks the chart where its axes are (convertFromPixel / convertToPixel) and places each
// tile on the pixels of its corners, so markers and tiles move together whatever the chart
// does. Zoom level: the one whose tiles come closest to 256 px at the current scale.
import type { ECharts } from '../components/echarts.ts'
import type { MapTiles } from './tile-config.ts'
import { TILE_SIZE, tilesCovering, tileUrl, zoomFor } from './tile-math.ts'

export type GridBox = { left: number, right: number, top: number, bottom: number }

const px = (n: number) => `${n}px`

export function createTileLayer (box: HTMLElement, chart: ECharts, tiles: MapTiles, grid: GridBox) {
  const layer = document.createElement('div')
  layer.dataset.testid = 'map-tiles'
  layer.setAttribute('aria-hidden', 'true')
  Object.assign(layer.style, {
    position: 'absolute', overflow: 'hidden', pointerEvents: 'none', background: '#eef1f4',
    left: px(grid.left), top: px(grid.top), right: px(grid.right), bottom: px(grid.bottom)
  })
  // Required by most tile providers' terms; plain text, never HTML.
  const credit = document.createElement('div')
  credit.dataset.testid = 'map-attribution'
  credit.textContent = tiles.attribution
  Object.assign(credit.style, {
    position: 'absolute', right: px(grid.right), bottom: px(grid.bottom), padding: '0 4px', font: '11px sans-serif',
    color: '#1f2328', background: 'rgba(255, 255, 255, .8)', pointerEvents: 'none', zIndex: '1'
  })
  if (!box.style.position) box.style.position = 'relative'
  box.prepend(layer)
  if (tiles.attribution) box.append(credit)

  const imgs = new Map<string, HTMLImageElement>()
  let frame = 0

  function sync () {
    frame = 0
    const w = chart.getWidth() - grid.left - grid.right
    const h = chart.getHeight() - grid.top - grid.bottom
    if (w <= 0 || h <= 0) return
    const a = chart.convertFromPixel({ gridIndex: 0 }, [grid.left, grid.top]) as number[] | undefined
    const b = chart.convertFromPixel({ gridIndex: 0 }, [grid.left + w, grid.top + h]) as number[] | undefined
    if (!a || !b || !a.every(Number.isFinite) || !b.every(Number.isFinite) || a[0] === b[0]) return
    const z = zoomFor(w / Math.abs(b[0]! - a[0]!), tiles.maxZoom)
    const unit = TILE_SIZE / 2 ** z
    const keep = new Set<string>()
    for (const t of tilesCovering(a[0]!, b[0]!, -a[1]!, -b[1]!, z)) {
      const key = `${z}/${t.col}/${t.y}`
      keep.add(key)
      let img = imgs.get(key)
      if (!img) {
        img = document.createElement('img')
        img.alt = ''
        img.draggable = false
        img.decoding = 'async'
        img.dataset.tile = `${t.z}/${t.x}/${t.y}`
        Object.assign(img.style, { position: 'absolute', maxWidth: 'none', userSelect: 'none' })
        img.src = tileUrl(tiles.url, t, tiles.subdomains)
        layer.append(img)
        imgs.set(key, img)
      }
      // Whole pixels from the corners' positions: neighbouring tiles share their edges (no seams).
      const p0 = chart.convertToPixel({ gridIndex: 0 }, [t.col * unit, -t.y * unit]) as number[]
      const p1 = chart.convertToPixel({ gridIndex: 0 }, [(t.col + 1) * unit, -(t.y + 1) * unit]) as number[]
      const left = Math.round(p0[0]!) - grid.left
      const top = Math.round(p0[1]!) - grid.top
      Object.assign(img.style, { left: px(left), top: px(top), width: px(Math.round(p1[0]!) - grid.left - left), height: px(Math.round(p1[1]!) - grid.top - top) })
    }
    for (const [key, img] of imgs) {
      if (keep.has(key)) continue
      img.remove()
      imgs.delete(key)
    }
    layer.dataset.zoom = String(z)
  }

  const schedule = () => { if (!frame) frame = requestAnimationFrame(sync) }
  chart.on('finished', schedule)
  chart.on('datazoom', schedule)
  schedule()

  return {
    /** The layer's element (data-zoom: the tile zoom level drawn). */
    element: layer,
    sync: schedule,
    dispose () {
      cancelAnimationFrame(frame)
      chart.off('finished', schedule)
      chart.off('datazoom', schedule)
      layer.remove()
      credit.remove()
    }
  }
}

export type TileLayer = ReturnType<typeof createTileLayer>
