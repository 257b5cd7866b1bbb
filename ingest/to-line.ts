import { MAX_SEQ, type AnyEvent, type Channel, type PayloadOf } from '../contract/index.ts'
import { escString, eventTimestampNs } from './line-protocol.ts'

// One mapper per channel: the InfluxDB schema in one place (documented in
// docs/influxdb-schema.md). Tags hold what queries filter and group by (low cardinality); the
// worker pseudonym is a field because it is unbounded.
//
// Each line is one template literal, with tags in key order (InfluxDB's recommendation). This is
// the hottest code of ingest, and the general `formatLine` (records, key loops, escape tests)
// cost three times as much per point. What makes the short cut sound is the contract: every tag
// value and every field here is an id slug, an enum, a worker pseudonym or a number the schema
// has already bounded (finite; integers safe), so none needs escaping; the two free-text fields
// (firmware, fault) are escaped. test/to-line.test.ts checks each mapper against `formatLine`.
type Mapper<C extends Channel> = (station: string, p: PayloadOf<C>) => string

const ts = (p: { ts: number, seq: number }): string => eventTimestampNs(p.ts, p.seq)
// The `seqhi` tag (seq div 10^6, line-protocol.ts), in key order between its neighbours: absent
// below 10^6, and above one of 4,295 strings made once, so it allocates nothing per message.
const SEQ_HI = Array.from({ length: Math.floor(MAX_SEQ / 1_000_000) + 1 }, (_, i) => (i === 0 ? '' : `,seqhi=${i}`))
const hi = (seq: number): string => SEQ_HI[Math.floor(seq / 1_000_000)]!

const opt = (key: string, v: number | undefined): string => (v === undefined ? '' : `,${key}=${v}`)
const optInt = (key: string, v: number | undefined): string => (v === undefined ? '' : `,${key}=${v}i`)
const optStr = (key: string, v: string | undefined): string => (v === undefined ? '' : `,${key}=${escString(v)}`)

const mappers: { [C in Channel]: Mapper<C> } = {
  door: (station, p) =>
    `door,device=${p.device},direction=${p.direction},method=${p.method},result=${p.result}${hi(p.seq)},station=${station} seq=${p.seq}i${p.worker === undefined ? '' : `,worker="${p.worker}"`} ${ts(p)}`,

  door_state: (station, p) =>
    `door_state,device=${p.device}${hi(p.seq)},station=${station} state="${p.state}",seq=${p.seq}i ${ts(p)}`,

  occupancy: (station, p) =>
    `occupancy,device=${p.device}${hi(p.seq)},station=${station} count=${p.count}i${optInt('entered', p.entered)}${optInt('exited', p.exited)},seq=${p.seq}i ${ts(p)}`,

  environment: (station, p) => {
    // The schema guarantees at least one reading; seq is always there, so the field set is
    // never empty either way.
    const fields = `${opt('temperature', p.temperature)}${opt('humidity', p.humidity)}${opt('co2', p.co2)}${opt('pm25', p.pm25)},seq=${p.seq}i`
    return `environment,device=${p.device}${hi(p.seq)},station=${station} ${fields.slice(1)} ${ts(p)}`
  },

  status: (station, p) =>
    `status,device=${p.device}${hi(p.seq)},station=${station} state="${p.state}"${optStr('firmware', p.firmware)}${optInt('uptime', p.uptime)},seq=${p.seq}i ${ts(p)}`,

  equipment: (station, p) =>
    `equipment,appliance=${p.appliance},device=${p.device}${hi(p.seq)},station=${station},unit=${p.unit} state="${p.state}"${opt('powerW', p.powerW)}${opt('setpoint', p.setpoint)}${optStr('fault', p.fault)},seq=${p.seq}i ${ts(p)}`,

  supply: (station, p) =>
    `supply,device=${p.device},item=${p.item}${hi(p.seq)},station=${station} quantity=${p.quantity}i${optInt('capacity', p.capacity)},seq=${p.seq}i ${ts(p)}`
}

export function eventToLine (station: string, event: AnyEvent): string {
  return (mappers[event.channel] as Mapper<typeof event.channel>)(station, event.payload)
}
