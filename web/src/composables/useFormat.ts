// Numbers and dates in the UI language, times in the station's own time zone (a station in
// Urumqi shows its local clock even to a viewer in Beijing).
import { computed } from 'vue'
import { useI18n } from 'vue-i18n'

// Creating an Intl formatter costs far more than using one (a fleet table formats hundreds
// of cells): keep them by language, options and zone.
const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>()
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat> (key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined
  if (!f) { f = make(); cache.set(key, f) }
  return f
}
const dtf = (lang: string, o: Intl.DateTimeFormatOptions) => cached(`d|${lang}|${JSON.stringify(o)}`, () => new Intl.DateTimeFormat(lang, o))

export function useFormat () {
  const { locale } = useI18n()
  const lang = computed(() => locale.value)
  const nf = (o: Intl.NumberFormatOptions) => cached(`n|${lang.value}|${JSON.stringify(o)}`, () => new Intl.NumberFormat(lang.value, o))
  return {
    number: (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? '—' : nf({ maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(n)),
    percent: (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? '—' : nf({ style: 'percent', maximumFractionDigits: digits }).format(n)),
    dateTime: (iso: string | null | undefined, timeZone?: string) => (iso
      ? dtf(lang.value, { dateStyle: 'short', timeStyle: 'medium', timeZone }).format(new Date(iso))
      : '—'),
    time: (iso: string | null | undefined, timeZone?: string) => (iso
      ? dtf(lang.value, { timeStyle: 'medium', timeZone }).format(new Date(iso))
      : '—'),
    /** A local calendar day YYYY-MM-DD as the UI language writes it (no zone shift). */
    day: (ymd: string) => dtf(lang.value, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${ymd}T00:00:00Z`)),
    weekday: (i: number) => dtf(lang.value, { weekday: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i)))
  }
}

/** Today's date (YYYY-MM-DD) in a time zone. */
export function todayIn (timeZone: string, now = new Date()): string {
  return dtf('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/** A YYYY-MM-DD day plus n days. */
export function addDays (ymd: string, n: number): string {
  const d = new Date(`${ymd}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}
