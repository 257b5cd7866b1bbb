// Colours of the station states on the map and in tables. Chosen to differ in lightness as
// well as hue (readable for red-green colour blindness) and to reach 3:1 against white.
import type { LiveStationState } from '../api/types.ts'

export const STATE_ORDER: LiveStationState[] = ['quiet', 'busy', 'full', 'offline']

export const STATE_COLOURS: Record<LiveStationState, string> = {
  quiet: '#1a7f37',
  busy: '#b35900',
  full: '#c4162a',
  offline: '#6e7781'
}

/** Comfort colours for a dark background (wall screen): each ≥ 4.5:1 against #0b1220. */
export const COMFORT_COLOURS = { good: '#4ade80', fair: '#facc15', poor: '#f87171', unknown: '#9ca3af' } as const
