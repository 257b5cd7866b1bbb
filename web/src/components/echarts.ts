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

export { echarts }
export type { EChartsCoreOption as ChartOption, ECharts } from 'echarts/core'
