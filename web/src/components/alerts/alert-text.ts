// An alert's one-line description in the UI language, built from its structured fields
// (rule, subject, value, threshold) with the rule's unit through vue-i18n (`alerts.text.*`).
// Used by the inbox, the details, the badges' tooltips and the wall band; the server's
// English `summary` is not shown. The webhook texts are the same sentences
// (alerts/summary-text.ts): change both together.
import { useI18n } from 'vue-i18n'
import type { Rule } from '../../api/alerts.ts'
import { useFormat } from '../../composables/useFormat.ts'

export type AlertTextFields = { rule: Rule, subject: string, value: number | null, threshold: number | null }

export function useAlertText () {
  const { t, te } = useI18n()
  const f = useFormat()
  const minutes = (s: number | null) => f.number(s === null ? null : s / 60, 0)

  /** `ac:2` → "空调 2 号机" / "AC unit 2"; an appliance kind without a name is shown as sent. */
  function unit (subject: string): string {
    const i = subject.indexOf(':')
    const kind = i < 0 ? subject : subject.slice(0, i)
    const name = te(`appliance.${kind}`) ? t(`appliance.${kind}`) : kind
    return i < 0 ? name : t('alerts.text.unit', { name, unit: subject.slice(i + 1) })
  }

  return (a: AlertTextFields): string => {
    const p = { subject: a.subject, value: f.number(a.value, 1), threshold: f.number(a.threshold, 1) }
    switch (a.rule) {
      case 'station_offline':
        // Fired below the threshold: the device's will arrived (the rule's other way to fire).
        return a.value !== null && a.threshold !== null && a.value < a.threshold
          ? t('alerts.text.station_offline_will', p)
          : t('alerts.text.station_offline', { ...p, min: minutes(a.value), limitMin: minutes(a.threshold) })
      case 'co2_high': case 'pm25_high': case 'over_capacity': case 'supply_low':
        if (a.rule === 'supply_low' && a.threshold === null) return t('alerts.text.supply_low_nolimit', { ...p, value: f.number(a.value, 0) })
        return t(`alerts.text.${a.rule}`, { ...p, value: f.number(a.value, 0), threshold: f.number(a.threshold, 0) })
      case 'equipment_fault': case 'energy_waste':
        return t(`alerts.text.${a.rule}`, { ...p, unit: unit(a.subject), min: minutes(a.value) })
      case 'door_held_open': case 'night_alone': case 'data_gap':
        return t(`alerts.text.${a.rule}`, { ...p, min: minutes(a.value) })
      default:
        return t(`alerts.text.${a.rule}`, p)
    }
  }
}
