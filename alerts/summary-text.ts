import type { Rule } from './schemas.ts'

// What an alert says, in zh-CN and English, built from its structured fields (rule, subject,
// value, threshold) with each rule's unit: the webhook bodies' texts (alerts/notify/body.ts).
// The stored `summary` (English, written by the rule) stays as it was for API and CLI users;
// the dashboard builds the same sentences through vue-i18n (web/src/i18n/alerts.*.ts,
// web/src/components/alerts/alert-text.ts), so wording changes belong in both places.

export const SUMMARY_LANGS = ['zh-CN', 'en'] as const
export type SummaryLang = typeof SUMMARY_LANGS[number]

/** The fields the text is made of (an Alert has them all). */
export type SummaryFields = { rule: Rule, subject: string, value: number | null, threshold: number | null }

const RULE_NAMES: Record<Rule, Record<SummaryLang, string>> = {
  station_offline: { 'zh-CN': '设备离线', en: 'device offline' },
  temperature_high: { 'zh-CN': '温度过高', en: 'temperature high' },
  temperature_low: { 'zh-CN': '温度过低', en: 'temperature low' },
  co2_high: { 'zh-CN': '二氧化碳过高', en: 'CO₂ high' },
  pm25_high: { 'zh-CN': 'PM2.5 过高', en: 'PM2.5 high' },
  over_capacity: { 'zh-CN': '超员', en: 'over capacity' },
  equipment_fault: { 'zh-CN': '设备故障', en: 'equipment fault' },
  energy_waste: { 'zh-CN': '空置耗能', en: 'energy waste' },
  supply_low: { 'zh-CN': '物资不足', en: 'supplies low' },
  door_held_open: { 'zh-CN': '门长时间未关', en: 'door held open' },
  night_alone: { 'zh-CN': '夜间单人滞留', en: 'one person alone at night' },
  silent_door: { 'zh-CN': '门禁异常安静', en: 'door unusually silent' },
  data_gap: { 'zh-CN': '数据中断', en: 'data gap' }
}

// contract/payloads.ts Appliance; an unknown kind is shown as sent.
const APPLIANCES: Record<string, Record<SummaryLang, string>> = {
  microwave: { 'zh-CN': '微波炉', en: 'microwave' },
  ac: { 'zh-CN': '空调', en: 'AC' },
  tv: { 'zh-CN': '电视', en: 'TV' },
  water_dispenser: { 'zh-CN': '饮水机', en: 'water dispenser' },
  charger: { 'zh-CN': '充电器', en: 'charger' },
  fridge: { 'zh-CN': '冰箱', en: 'fridge' },
  light: { 'zh-CN': '照明', en: 'light' },
  air_purifier: { 'zh-CN': '空气净化器', en: 'air purifier' }
}

export function ruleName (rule: Rule, lang: SummaryLang): string {
  return RULE_NAMES[rule][lang]
}

/** `ac:2` → "空调 2 号机" / "AC unit 2". */
export function applianceUnit (subject: string, lang: SummaryLang): string {
  const i = subject.indexOf(':')
  const kind = i < 0 ? subject : subject.slice(0, i)
  const unit = i < 0 ? '' : subject.slice(i + 1)
  const name = APPLIANCES[kind]?.[lang] ?? kind
  if (unit === '') return name
  return lang === 'zh-CN' ? `${name} ${unit} 号机` : `${name} unit ${unit}`
}

const num = (v: number | null, digits = 1): string => v === null ? '?' : String(Math.round(v * 10 ** digits) / 10 ** digits)
const minutes = (s: number | null): string => s === null ? '?' : String(Math.round(s / 60))

type Parts = { subject: string, v: number | null, thr: number | null }
type Phrase = (p: Parts) => string

// One sentence per rule and language; the units are the rules' (docs/alerts.md): °C, ppm,
// µg/m³, people, seconds (shown in minutes), supply units, expected entries.
const PHRASES: Record<Rule, Record<SummaryLang, Phrase>> = {
  station_offline: {
    // Fired below the threshold: the device's will arrived (the rule's other way to fire).
    'zh-CN': ({ subject, v, thr }) => v !== null && thr !== null && v < thr ? `设备 ${subject} 已离线（收到离线遗嘱）` : `设备 ${subject} 已 ${minutes(v)} 分钟无消息（阈值 ${minutes(thr)} 分钟）`,
    en: ({ subject, v, thr }) => v !== null && thr !== null && v < thr ? `device ${subject} went offline (its last will arrived)` : `device ${subject} silent for ${minutes(v)} min (limit ${minutes(thr)} min)`
  },
  temperature_high: {
    'zh-CN': ({ v, thr }) => `有人时室内 ${num(v)} °C（上限 ${num(thr)} °C）`,
    en: ({ v, thr }) => `${num(v)} °C inside while occupied (limit ${num(thr)} °C)`
  },
  temperature_low: {
    'zh-CN': ({ v, thr }) => `有人时室内 ${num(v)} °C（下限 ${num(thr)} °C）`,
    en: ({ v, thr }) => `${num(v)} °C inside while occupied (limit ${num(thr)} °C)`
  },
  co2_high: {
    'zh-CN': ({ v, thr }) => `二氧化碳 ${num(v, 0)} ppm（上限 ${num(thr, 0)} ppm）`,
    en: ({ v, thr }) => `CO₂ ${num(v, 0)} ppm (limit ${num(thr, 0)} ppm)`
  },
  pm25_high: {
    'zh-CN': ({ v, thr }) => `PM2.5 ${num(v, 0)} µg/m³（上限 ${num(thr, 0)} µg/m³）`,
    en: ({ v, thr }) => `PM2.5 ${num(v, 0)} µg/m³ (limit ${num(thr, 0)} µg/m³)`
  },
  over_capacity: {
    'zh-CN': ({ v, thr }) => `站内 ${num(v, 0)} 人，额定 ${num(thr, 0)} 人`,
    en: ({ v, thr }) => `${num(v, 0)} people inside, capacity ${num(thr, 0)}`
  },
  equipment_fault: {
    'zh-CN': ({ subject }) => `${applianceUnit(subject, 'zh-CN')}报告故障`,
    en: ({ subject }) => `${applianceUnit(subject, 'en')} reports a fault`
  },
  energy_waste: {
    'zh-CN': ({ subject, v }) => `${applianceUnit(subject, 'zh-CN')}在无人时已运行 ${minutes(v)} 分钟`,
    en: ({ subject, v }) => `${applianceUnit(subject, 'en')} running for ${minutes(v)} min with nobody inside`
  },
  supply_low: {
    'zh-CN': ({ subject, v, thr }) => thr === null ? `${subject} 仅剩 ${num(v, 0)}` : `${subject} 仅剩 ${num(v, 0)}（低于 ${num(thr, 0)}）`,
    en: ({ subject, v, thr }) => thr === null ? `${subject}: ${num(v, 0)} left` : `${subject}: ${num(v, 0)} left (below ${num(thr, 0)})`
  },
  door_held_open: {
    'zh-CN': ({ v }) => `门已持续打开 ${minutes(v)} 分钟`,
    en: ({ v }) => `door held open for ${minutes(v)} min`
  },
  night_alone: {
    'zh-CN': ({ v }) => `夜间一人独处站内已 ${minutes(v)} 分钟`,
    en: ({ v }) => `one person alone inside for ${minutes(v)} min at night`
  },
  silent_door: {
    'zh-CN': ({ v }) => `这一时段通常有人进出，却长时间无人进入（预计应有 ${num(v)} 次）`,
    en: ({ v }) => `no entry for a long time at an hour that usually has them (${num(v)} expected)`
  },
  data_gap: {
    'zh-CN': ({ subject, v }) => `设备 ${subject} 在线，但已 ${minutes(v)} 分钟未发送数据`,
    en: ({ subject, v }) => `device ${subject} is connected but has sent no data for ${minutes(v)} min`
  }
}

/** The alert's one-line description in `lang`. */
export function summaryText (a: SummaryFields, lang: SummaryLang): string {
  return PHRASES[a.rule][lang]({ subject: a.subject, v: a.value, thr: a.threshold })
}

/** Both languages at once, as the webhook body carries them. */
export function summaryTexts (a: SummaryFields): Record<SummaryLang, string> {
  return { 'zh-CN': summaryText(a, 'zh-CN'), en: summaryText(a, 'en') }
}
