// The ECharts parts the fleet view does not use (bars, lines, heatmaps, visual maps, mark
// lines), registered when a view that draws them is loaded (router.ts LAZY_VIEWS): the
// landing page downloads only what its map needs (./echarts.ts).
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts'
import { MarkLineComponent, VisualMapComponent } from 'echarts/components'
import { echarts } from './echarts.ts'

echarts.use([BarChart, HeatmapChart, LineChart, VisualMapComponent, MarkLineComponent])
