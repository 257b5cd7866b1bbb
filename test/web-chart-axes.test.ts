// The charts' axis helpers (web/src/components/chart-axes.ts): an axis forced up to a
// capacity ends on a round value (16 people → 20, not 16 squeezed against the 15 tick).
import { describe, expect, test } from 'vitest'
import { countAxis, labelledGrid, niceMax } from '../web/src/components/chart-axes.ts'

describe('chart axes', () => {
  test('niceMax: the smallest multiple of a 1-2-5 step at or above the value, about 4 steps', () => {
    expect([1, 2, 3, 6, 15, 16, 21, 48, 100, 1234].map((v) => niceMax(v))).toEqual([1, 2, 3, 6, 15, 20, 30, 60, 100, 1500])
    for (let v = 1; v <= 5000; v += 7) {
      const m = niceMax(v)
      expect(m, String(v)).toBeGreaterThanOrEqual(v)
      expect(m, String(v)).toBeLessThan(v * 2)
    }
    expect(niceMax(0)).toBe(1) // an empty chart still has an axis
  })

  test('count axes step by whole numbers; grids hold their labels', () => {
    expect(countAxis()).toMatchObject({ type: 'value', minInterval: 1, splitNumber: 4, axisLabel: { verticalAlignMinLabel: 'bottom' } })
    expect(countAxis({ axisLabel: { fontSize: 18 } }).axisLabel).toEqual({ verticalAlignMinLabel: 'bottom', fontSize: 18 })
    expect(labelledGrid({ top: 1, right: 2, bottom: 3, left: 4 })).toEqual({ top: 1, right: 2, bottom: 3, left: 4, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' })
  })
})
