import type { Alert, AlertTransition } from '../schemas.ts'
import { ruleName, summaryText, summaryTexts, type SummaryLang } from '../summary-text.ts'

// The JSON a webhook receives (version 1). `msgtype` + `text.content` (zh-CN) make the body
// usable as is by WeCom and DingTalk group bots ("text" messages); `texts` has zh-CN and en;
// `alerts` has the machine-readable detail of every transition the notification carries, with
// each alert's description in both languages (`texts`, alerts/summary-text.ts; `summary` is the
// English one stored by the rule, kept for receivers written against it).

export const BODY_VERSION = 1

const KIND_NAMES: Record<string, Record<SummaryLang, string>> = {
  fired: { 'zh-CN': '告警', en: 'FIRING' },
  escalated: { 'zh-CN': '告警升级', en: 'ESCALATED' },
  acknowledged: { 'zh-CN': '已确认', en: 'acknowledged' },
  resolved: { 'zh-CN': '已恢复', en: 'resolved' }
}

const SEVERITY_NAMES: Record<string, Record<SummaryLang, string>> = {
  critical: { 'zh-CN': '严重', en: 'critical' }, warning: { 'zh-CN': '警告', en: 'warning' }, info: { 'zh-CN': '提示', en: 'info' }
}

export type BodyItem = { transition: AlertTransition, alert: Alert | null, stationName: string }

export type BodyOptions = { publicUrl: string | null, flapping: boolean, key: string }

function link (publicUrl: string | null, alertId: number): string | null {
  return publicUrl === null ? null : `${publicUrl.replace(/\/+$/, '')}/#/alerts/${alertId}`
}

function line (i: BodyItem, lang: SummaryLang, publicUrl: string | null): string {
  const t = i.transition
  const rule = ruleName(t.rule, lang)
  const subject = t.subject === '' ? '' : ` (${t.subject})`
  const text = i.alert === null ? '' : summaryText(i.alert, lang)
  const summary = text === '' ? '' : (lang === 'zh-CN' ? `：${text}` : `: ${text}`)
  const who = t.kind === 'acknowledged' || (t.kind === 'resolved' && t.actor !== 'system')
    ? (lang === 'zh-CN' ? `，${t.actor}${t.note ? `：${t.note}` : ''}` : `, by ${t.actor}${t.note ? `: ${t.note}` : ''}`)
    : ''
  const url = link(publicUrl, t.alertId)
  return `${i.stationName} [${t.stationId}] ${rule}${subject}${summary}${who}${url ? ` ${url}` : ''}`
}

function headline (items: BodyItem[], lang: SummaryLang, flapping: boolean): string {
  const t = items[0]!.transition
  const kind = KIND_NAMES[t.kind]?.[lang] ?? t.kind
  const sev = SEVERITY_NAMES[t.severity]?.[lang] ?? t.severity
  const rule = ruleName(t.rule, lang)
  const district = t.district === '' ? '' : (lang === 'zh-CN' ? `${t.district} ` : `${t.district}: `)
  const target = t.kind === 'escalated' && t.target ? (lang === 'zh-CN' ? `（第 ${t.escalationLevel} 级，通知 ${t.target}）` : ` (level ${t.escalationLevel}, to ${t.target})`) : ''
  const flap = flapping ? (lang === 'zh-CN' ? '（频繁波动，恢复稳定前不再通知）' : ' (flapping: no further notices until it settles)') : ''
  if (items.length === 1) return lang === 'zh-CN' ? `【${kind}·${sev}】${district}${rule}${target}${flap}` : `[${kind} ${sev}] ${district}${rule}${target}${flap}`
  return lang === 'zh-CN'
    ? `【${kind}·${sev}】${district}${items.length} 个驿站${rule}${target}${flap}`
    : `[${kind} ${sev}] ${district}${rule} at ${items.length} stations${target}${flap}`
}

/** The notification body for `items` (one transition, or a group of the same district, rule and kind). */
export function buildBody (items: BodyItem[], o: BodyOptions): string {
  const text = (lang: SummaryLang) => [headline(items, lang, o.flapping), ...items.map((i) => line(i, lang, o.publicUrl))].join('\n')
  const zh = text('zh-CN')
  const first = items[0]!.transition
  return JSON.stringify({
    version: BODY_VERSION,
    id: o.key,
    kind: first.kind,
    grouped: items.length > 1,
    flapping: o.flapping,
    district: first.district,
    rule: first.rule,
    severity: first.severity,
    count: items.length,
    msgtype: 'text',
    text: { content: zh },
    texts: { 'zh-CN': zh, en: text('en') },
    alerts: items.map(({ transition: t, alert: a, stationName }) => ({
      transitionId: t.id,
      alertId: t.alertId,
      kind: t.kind,
      at: t.at,
      station: { id: t.stationId, name: stationName },
      district: t.district,
      rule: t.rule,
      subject: t.subject,
      severity: t.severity,
      state: a?.state ?? t.toState,
      summary: a?.summary ?? '',
      texts: a === null ? null : summaryTexts(a),
      value: a?.value ?? null,
      threshold: a?.threshold ?? null,
      pendingSince: a?.pendingSince ?? null,
      firedAt: a?.firedAt ?? null,
      resolvedAt: a?.resolvedAt ?? null,
      actor: t.actor,
      note: t.note,
      escalationLevel: t.escalationLevel,
      target: t.target,
      url: link(o.publicUrl, t.alertId)
    }))
  })
}
