import type { Alert, AlertTransition, Rule } from '../schemas.ts'

// The JSON a webhook receives (version 1). `msgtype` + `text.content` (zh-CN) make the body
// usable as is by WeCom and DingTalk group bots ("text" messages); `texts` has zh-CN and en;
// `alerts` has the machine-readable detail of every transition the notification carries.

export const BODY_VERSION = 1

const RULE_NAMES: Record<Rule, { zh: string, en: string }> = {
  station_offline: { zh: '设备离线', en: 'device offline' },
  temperature_high: { zh: '温度过高', en: 'temperature high' },
  temperature_low: { zh: '温度过低', en: 'temperature low' },
  co2_high: { zh: '二氧化碳过高', en: 'CO2 high' },
  pm25_high: { zh: 'PM2.5 过高', en: 'PM2.5 high' },
  over_capacity: { zh: '超员', en: 'over capacity' },
  equipment_fault: { zh: '设备故障', en: 'equipment fault' },
  energy_waste: { zh: '空置耗能', en: 'energy waste' },
  supply_low: { zh: '物资不足', en: 'supplies low' },
  door_held_open: { zh: '门长时间未关', en: 'door held open' },
  night_alone: { zh: '夜间单人滞留', en: 'one person alone at night' },
  silent_door: { zh: '门禁异常安静', en: 'door unusually silent' },
  data_gap: { zh: '数据中断', en: 'data gap' }
}

const KIND_NAMES: Record<string, { zh: string, en: string }> = {
  fired: { zh: '告警', en: 'FIRING' },
  escalated: { zh: '告警升级', en: 'ESCALATED' },
  acknowledged: { zh: '已确认', en: 'acknowledged' },
  resolved: { zh: '已恢复', en: 'resolved' }
}

const SEVERITY_NAMES: Record<string, { zh: string, en: string }> = {
  critical: { zh: '严重', en: 'critical' }, warning: { zh: '警告', en: 'warning' }, info: { zh: '提示', en: 'info' }
}

export type BodyItem = { transition: AlertTransition, alert: Alert | null, stationName: string }

export type BodyOptions = { publicUrl: string | null, flapping: boolean, key: string }

function link (publicUrl: string | null, alertId: number): string | null {
  return publicUrl === null ? null : `${publicUrl.replace(/\/+$/, '')}/#/alerts/${alertId}`
}

function line (i: BodyItem, lang: 'zh' | 'en', publicUrl: string | null): string {
  const t = i.transition
  const rule = RULE_NAMES[t.rule][lang]
  const subject = t.subject === '' ? '' : ` (${t.subject})`
  const summary = i.alert?.summary ? (lang === 'zh' ? `：${i.alert.summary}` : `: ${i.alert.summary}`) : ''
  const who = t.kind === 'acknowledged' || (t.kind === 'resolved' && t.actor !== 'system')
    ? (lang === 'zh' ? `，${t.actor}${t.note ? `：${t.note}` : ''}` : `, by ${t.actor}${t.note ? `: ${t.note}` : ''}`)
    : ''
  const url = link(publicUrl, t.alertId)
  return `${i.stationName} [${t.stationId}] ${rule}${subject}${summary}${who}${url ? ` ${url}` : ''}`
}

function headline (items: BodyItem[], lang: 'zh' | 'en', flapping: boolean): string {
  const t = items[0]!.transition
  const kind = KIND_NAMES[t.kind]?.[lang] ?? t.kind
  const sev = SEVERITY_NAMES[t.severity]?.[lang] ?? t.severity
  const rule = RULE_NAMES[t.rule][lang]
  const district = t.district === '' ? '' : (lang === 'zh' ? `${t.district} ` : `${t.district}: `)
  const target = t.kind === 'escalated' && t.target ? (lang === 'zh' ? `（第 ${t.escalationLevel} 级，通知 ${t.target}）` : ` (level ${t.escalationLevel}, to ${t.target})`) : ''
  const flap = flapping ? (lang === 'zh' ? '（频繁波动，恢复稳定前不再通知）' : ' (flapping: no further notices until it settles)') : ''
  if (items.length === 1) return lang === 'zh' ? `【${kind}·${sev}】${district}${rule}${target}${flap}` : `[${kind} ${sev}] ${district}${rule}${target}${flap}`
  return lang === 'zh'
    ? `【${kind}·${sev}】${district}${items.length} 个驿站${rule}${target}${flap}`
    : `[${kind} ${sev}] ${district}${rule} at ${items.length} stations${target}${flap}`
}

/** The notification body for `items` (one transition, or a group of the same district, rule and kind). */
export function buildBody (items: BodyItem[], o: BodyOptions): string {
  const text = (lang: 'zh' | 'en') => [headline(items, lang, o.flapping), ...items.map((i) => line(i, lang, o.publicUrl))].join('\n')
  const zh = text('zh')
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
