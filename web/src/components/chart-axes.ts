// Grid and axis settings shared by the dashboard's bar and line charts, so that a chart with
// little data (a station two days old, counts of 0-3) or little height (the wall with an alert
// band) still reads well: test/dashboard-chart-axes.test.ts checks what ECharts laid out.

/**
 * A grid whose margins hold the axis labels (ECharts 6's outer bounds, the successor of
 * `containLabel`): the plot gives way to "1,000" or "11月30日" instead of a label running
 * out of the canvas, whatever the language and the numbers.
 */
export function labelledGrid (margins: { top: number, right: number, bottom: number, left: number }) {
  return { ...margins, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' }
}

/**
 * The smallest round top (a multiple of a 1-2-5 step, about `splitNumber` steps) at or above
 * `value`: an axis forced up to a capacity of 16 ends at 20 with a tick at 15, rather than at
 * 16 with its label squeezed against the 15.
 */
export function niceMax (value: number, splitNumber = 4): number {
  if (!(value > 0)) return 1
  const raw = value / splitNumber
  const pow = 10 ** Math.floor(Math.log10(raw))
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow)
  return Math.ceil(value / step) * step
}

/**
 * A value axis of counts (visits, people, stays): whole-number steps only (never 0.5 of a
 * visit), at most about `splitNumber` of them so that a short chart does not stack its labels,
 * and the "0" drawn above the axis line, clear of the first category's label under it.
 */
export function countAxis (extra: { splitNumber?: number, axisLabel?: Record<string, unknown>, max?: unknown } = {}) {
  const { axisLabel, splitNumber, ...rest } = extra
  return { type: 'value', minInterval: 1, splitNumber: splitNumber ?? 4, axisLabel: { verticalAlignMinLabel: 'bottom', ...axisLabel }, ...rest }
}
