// ECharts with only the parts the dashboard uses (tree-shaken) and the canvas renderer:
// canvas draws 10,000 map markers in one layer where SVG would need 10,000 DOM nodes.
import * as echarts from 'echarts/core'
import { BarChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts'
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, MarkLineComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, HeatmapChart, LineChart, ScatterChart, DataZoomComponent, GridComponent, LegendComponent,
  TooltipComponent, VisualMapComponent, MarkLineComponent, CanvasRenderer])

export { echarts }
export type { EChartsCoreOption as ChartOption, ECharts } from 'echarts/core'
