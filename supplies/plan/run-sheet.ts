// The driver's printable run sheet: a self-contained HTML page (no script, no external
// resource) styled for A4 with @media print, one trip per page. The API's CSP allows nothing;
// this page is served with a CSP that allows its one inline style by hash and nothing else.
import { createHash } from 'node:crypto'
import { LABELS, type Lang } from './plan-labels.ts'
import type { RestockPlan } from './plan-schema.ts'

const STYLE = `
@page { size: A4; margin: 12mm }
body { font: 11pt/1.35 "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0 auto; max-width: 186mm; color: #000 }
h1 { font-size: 16pt; margin: 0 0 2mm } h2 { font-size: 13pt; margin: 6mm 0 2mm }
table { width: 100%; border-collapse: collapse; margin-bottom: 3mm }
th, td { border: 0.3mm solid #444; padding: 1mm 1.5mm; vertical-align: top; text-align: left }
th { background: #eee } td.n { text-align: right } .box { display: inline-block; width: 4mm; height: 4mm; border: 0.3mm solid #000 }
.empty, .urgent { font-weight: bold } .meta { font-size: 9pt; color: #333 }
@media print { .trip { break-before: page } .trip:first-of-type { break-before: auto } th { background: none } }
`

/** Content-Security-Policy for the run sheet: its own style, nothing else. */
export const RUN_SHEET_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`

const esc = (s: string | number | null) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function runSheet (plan: RestockPlan, lang: Lang): string {
  const L = LABELS[lang]
  const h: string[] = []
  const p = (s: string) => h.push(s)
  const name = (i: { nameZh: string, nameEn: string }) => esc(lang === 'zh' ? i.nameZh : i.nameEn)
  p(`<!doctype html><html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${L.title}</title><style>${STYLE}</style></head><body>`)
  p(`<h1>${L.title}</h1><p class="meta">${L.generated}: ${esc(plan.generatedAt)} · ${L.horizon}: ${plan.horizonHours} ${L.hours} · ${L.depot}: ${esc(plan.depot.name ?? `${plan.depot.lat}, ${plan.depot.lon}`)} · ${L.vehicle}: ${plan.vehicle.capacity ?? L.unlimited} · ${plan.totals.trips} × ${L.trip}, ${plan.totals.stations} ${L.stops}, ${plan.totals.units} ${L.units}, ${plan.totals.distanceKm} km</p>`)
  for (const t of plan.trips) {
    p(`<section class="trip"><h2>${L.trip} ${t.trip} · ${t.stops.length} ${L.stops} · ${t.load} ${L.units} · ${L.distance} ${t.distanceKm} km</h2>`)
    p(`<table><thead><tr><th>${L.load}</th><th>${L.quantity}</th><th>${L.unit}</th></tr></thead><tbody>`)
    for (const i of t.loadByItem) p(`<tr><td>${name(i)}</td><td class="n">${i.quantity}</td><td>${esc(i.unit)}</td></tr>`)
    p('</tbody></table>')
    p(`<table><thead><tr><th>${L.seq}</th><th>${L.name} / ${L.address}</th><th>${L.item}</th><th>${L.quantity}</th><th>${L.priority}</th><th>${L.leg}</th><th>${L.done}</th></tr></thead><tbody>`)
    for (const s of t.stops) {
      const items = s.items.map((i) => `${name(i)} <b>${i.quantity}</b> ${esc(i.unit)}`).join('<br>')
      p(`<tr><td class="n">${s.seq}</td><td>${esc(s.name)}<br><span class="meta">${esc(s.stationId)} ${esc(s.address)}</span>${s.note === null ? '' : `<br><span class="meta">${esc(s.note)}</span>`}</td><td>${items}</td><td class="n">${s.load}</td><td class="${s.priority}">${L.priorities[s.priority]}${s.timeToEmptyHours === null ? '' : ` (${s.timeToEmptyHours} ${L.hours})`}</td><td class="n">${s.legKm}</td><td><span class="box"></span></td></tr>`)
    }
    p(`<tr><td></td><td colspan="4">${L.back}</td><td class="n">${t.returnKm}</td><td></td></tr></tbody></table><p>${L.signature}: ____________</p></section>`)
  }
  if (plan.unroutable.length > 0) {
    p(`<h2>${L.unroutable}</h2><table><tbody>`)
    for (const u of plan.unroutable) p(`<tr><td>${esc(u.name)} <span class="meta">${esc(u.stationId)}</span></td><td>${u.items.map((i) => `${name(i)} ${i.quantity} ${esc(i.unit)}`).join('<br>')}</td></tr>`)
    p('</tbody></table>')
  }
  p('</body></html>')
  return h.join('\n')
}
