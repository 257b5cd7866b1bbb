// ECharts with only the parts the dashboard uses (tree-shaken) and the canvas renderer:
// canvas draws 10,000 map markers in one layer where SVG would need 10,000 DOM nodes.
// Here what the fleet view (the landing page) needs: scatter, grid, zoom, legend, tooltip.
// Bars, lines, heatmaps, visual maps and mark lines are in ./echarts-charts.ts, a chunk the
// router loads with the views that draw them (router.ts LAZY_VIEWS).
import * as echarts from 'echarts/core'
import { ScatterChart } from 'echarts/charts'
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([ScatterChart, DataZoomComponent, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])

// zrender measures text (legend layout, label placement) on a canvas of its own outside the
// document, then draws it on the chart's canvas inside it. Chromium chooses fallback fonts by
// the canvas's language: the chart's inherits <html lang="zh-CN">, the detached one has none,
// so in zh-CN "·" (as in "开放·空闲") measured 3.8 px and drew 12 px and the legend's items ran
// into each other. Measure in the document's language (CanvasRenderingContext2D.lang; where a
// browser lacks it, nothing changes).
let measureCtx: CanvasRenderingContext2D | null = null
let measureFont = ''
let measureLang: string | null = null
echarts.setPlatformAPI({
  measureText: (text: string, font?: string) => {
    measureCtx ??= document.createElement('canvas').getContext('2d')
    if (!measureCtx) return { width: text.length * 12 }
    const wanted = font || '12px sans-serif'
    if (measureFont !== wanted) { measureCtx.font = wanted; measureFont = wanted }
    const lang = document.documentElement.lang || 'inherit'
    if (measureLang !== lang && 'lang' in measureCtx) { (measureCtx as { lang: string }).lang = lang; measureLang = lang }
    return measureCtx.measureText(text)
  }
})

export { echarts }
export type { EChartsCoreOption as ChartOption, ECharts } from 'echarts/core'
