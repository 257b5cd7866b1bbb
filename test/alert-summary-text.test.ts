// The alert texts of webhook bodies in zh-CN and English, built from the alert's structured
// fields (alerts/summary-text.ts), and the body carrying both (alerts/notify/body.ts).
import { describe, expect, test } from 'vitest'
import { buildBody } from '../alerts/notify/body.ts'
import { RULES, type Alert, type AlertTransition } from '../alerts/schemas.ts'
import { applianceUnit, summaryText, summaryTexts } from '../alerts/summary-text.ts'

const at = new Date().toISOString()

function alert (over: Partial<Alert>): Alert {
  return {
    id: 57, stationId: 'sz-futian-001', district: 'futian', rule: 'temperature_high', subject: '', severity: 'warning', state: 'firing',
    summary: '33 °C inside while occupied (limit 30 °C)', value: 33, threshold: 30, pendingSince: at, firedAt: at, acknowledgedAt: null,
    acknowledgedBy: null, clearingSince: null, resolvedAt: null, resolvedBy: null, escalationLevel: 0, updatedAt: at, ...over
  }
}

function transition (a: Alert): AlertTransition {
  return {
    id: 412, alertId: a.id, at, kind: 'fired', fromState: 'pending', toState: 'firing', actor: 'system', note: null, stationId: a.stationId,
    district: a.district, rule: a.rule, subject: a.subject, severity: a.severity, escalationLevel: 0, target: null, notify: true
  }
}

describe('summaryText', () => {
  test.each([
    [{ rule: 'temperature_high', subject: '', value: 33.04, threshold: 30 }, '有人时室内 33 °C（上限 30 °C）', '33 °C inside while occupied (limit 30 °C)'],
    [{ rule: 'temperature_low', subject: '', value: 12.5, threshold: 14 }, '有人时室内 12.5 °C（下限 14 °C）', '12.5 °C inside while occupied (limit 14 °C)'],
    [{ rule: 'co2_high', subject: '', value: 1623, threshold: 1500 }, '二氧化碳 1623 ppm（上限 1500 ppm）', 'CO₂ 1623 ppm (limit 1500 ppm)'],
    [{ rule: 'pm25_high', subject: '', value: 80, threshold: 75 }, 'PM2.5 80 µg/m³（上限 75 µg/m³）', 'PM2.5 80 µg/m³ (limit 75 µg/m³)'],
    [{ rule: 'over_capacity', subject: '', value: 14, threshold: 12 }, '站内 14 人，额定 12 人', '14 people inside, capacity 12'],
    [{ rule: 'station_offline', subject: 'ba-1-door', value: 660, threshold: 600 }, '设备 ba-1-door 已 11 分钟无消息（阈值 10 分钟）', 'device ba-1-door silent for 11 min (limit 10 min)'],
    [{ rule: 'station_offline', subject: 'ba-1-door', value: 5, threshold: 600 }, '设备 ba-1-door 已离线（收到离线遗嘱）', 'device ba-1-door went offline (its last will arrived)'],
    [{ rule: 'equipment_fault', subject: 'ac:2', value: null, threshold: null }, '空调 2 号机报告故障', 'AC unit 2 reports a fault'],
    [{ rule: 'energy_waste', subject: 'ac:1', value: 7260, threshold: 7200 }, '空调 1 号机在无人时已运行 121 分钟', 'AC unit 1 running for 121 min with nobody inside'],
    [{ rule: 'supply_low', subject: 'bottled-water', value: 3, threshold: 4 }, 'bottled-water 仅剩 3（低于 4）', 'bottled-water: 3 left (below 4)'],
    [{ rule: 'door_held_open', subject: '', value: 330, threshold: null }, '门已持续打开 6 分钟', 'door held open for 6 min'],
    [{ rule: 'night_alone', subject: '', value: 11_000, threshold: 10_800 }, '夜间一人独处站内已 183 分钟', 'one person alone inside for 183 min at night'],
    [{ rule: 'silent_door', subject: '', value: 4.63, threshold: 4.6 }, '这一时段通常有人进出，却长时间无人进入（预计应有 4.6 次）', 'no entry for a long time at an hour that usually has them (4.6 expected)'],
    [{ rule: 'data_gap', subject: 'ba-1-sensors', value: 1250, threshold: 1200 }, '设备 ba-1-sensors 在线，但已 21 分钟未发送数据', 'device ba-1-sensors is connected but has sent no data for 21 min']
  ] as const)('%o', (fields, zh, en) => {
    expect(summaryText(fields, 'zh-CN')).toBe(zh)
    expect(summaryText(fields, 'en')).toBe(en)
    expect(summaryTexts(fields)).toEqual({ 'zh-CN': zh, en })
  })

  test('every rule has a text in both languages, also without a value', () => {
    for (const rule of RULES) {
      for (const lang of ['zh-CN', 'en'] as const) {
        const text = summaryText({ rule, subject: 'x', value: null, threshold: null }, lang)
        expect(text, `${rule} ${lang}`).not.toMatch(/undefined|NaN|null/)
        expect(text.length, `${rule} ${lang}`).toBeGreaterThan(3)
      }
      // The Chinese text is Chinese (not the English one), except where the subject is all it says.
      expect(summaryText({ rule, subject: 'x', value: 1, threshold: 2 }, 'zh-CN')).toMatch(/[\u4e00-\u9fff]/)
    }
  })

  test('an appliance kind the table does not know is shown as sent', () => {
    expect(applianceUnit('sauna:3', 'zh-CN')).toBe('sauna 3 号机')
    expect(applianceUnit('sauna:3', 'en')).toBe('sauna unit 3')
  })
})

describe('webhook body', () => {
  test('carries each alert text in zh-CN and en, the zh-CN bot text, and the stored summary unchanged', () => {
    const a = alert({})
    const body = JSON.parse(buildBody([{ transition: transition(a), alert: a, stationName: '福田区爱心驿站' }], { publicUrl: null, flapping: false, key: 'ws-alert-transition-412' }))
    expect(body.alerts[0].summary).toBe('33 °C inside while occupied (limit 30 °C)')
    expect(body.alerts[0].texts).toEqual({ 'zh-CN': '有人时室内 33 °C（上限 30 °C）', en: '33 °C inside while occupied (limit 30 °C)' })
    expect(body.text.content).toBe('【告警·警告】futian 温度过高\n福田区爱心驿站 [sz-futian-001] 温度过高：有人时室内 33 °C（上限 30 °C）')
    expect(body.texts['zh-CN']).toBe(body.text.content)
    expect(body.texts.en).toBe('[FIRING warning] futian: temperature high\n福田区爱心驿站 [sz-futian-001] temperature high: 33 °C inside while occupied (limit 30 °C)')
  })

  test('a transition whose alert is gone has no texts', () => {
    const a = alert({})
    const body = JSON.parse(buildBody([{ transition: transition(a), alert: null, stationName: 'x' }], { publicUrl: null, flapping: false, key: 'k' }))
    expect(body.alerts[0].texts).toBeNull()
    expect(body.alerts[0].summary).toBe('')
  })
})
