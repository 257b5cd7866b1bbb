// Colours of the supply threshold states. Wall (dark background): each ≥ 4.5:1 against
// #0b1220; page (white): each ≥ 3:1 against white. Low and empty differ in lightness too.
import type { LiveSupply } from '../../api/types.ts'

export type SupplyLevel = LiveSupply['level']

export const SUPPLY_COLOURS_DARK: Record<SupplyLevel, string> = { ok: '#4ade80', low: '#facc15', empty: '#f87171' }
export const SUPPLY_COLOURS_LIGHT: Record<SupplyLevel, string> = { ok: '#1a7f37', low: '#9a6700', empty: '#c4162a' }

/** The catalog name in the UI language, else the item key. */
export function itemName (s: { item: string, nameZh: string | null, nameEn: string | null }, locale: string): string {
  return (locale.startsWith('zh') ? s.nameZh : s.nameEn) ?? s.item
}
