// What alerting's "supply low" rule reads: an item's reorder threshold and capacity from the
// station's catalog (null when the station does not stock the item).
import type { Registry } from '../registry/open-registry.ts'

export function supplyThreshold (registry: Pick<Registry, 'supplies'>, stationId: string, item: string): { threshold: number, capacity: number } | null {
  const c = registry.supplies.item(stationId, item)
  return c === null ? null : { threshold: c.threshold, capacity: c.capacity }
}
