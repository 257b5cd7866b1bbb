// ECharts tooltips are HTML: station names come from the registry (admin input) and must be
// escaped before they get there.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c)
}
