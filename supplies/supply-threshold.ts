// What alerting's "supply low" rule reads: an item's reorder threshold and capacity from the
// station's catalog (null when the station does not stock the item).
import type { Registry } from '../registry/open-registry.ts'

export async function supplyThreshold (registry: Pick<Registry, 'supplies'>, stationId: string, item: string): Promise<{ threshold: number, capacity: number } | null> {
  const c = await registry.supplies.item(stationId, item)
  return c === null ? null : { threshold: c.threshold, capacity: c.capacity }
}
