import type { AnyEvent, Channel, PayloadOf } from '../contract/index.ts'
import { eventTimestampNs, formatLine } from './line-protocol.ts'

// One mapper per channel: the InfluxDB schema in one place (documented in docs/influxdb-schema.md).
// Tags hold what queries filter and group by (low cardinality); the worker pseudonym is a field
// because it is unbounded. Tags are listed in key order, which spares formatLine a sort.
type Mapper<C extends Channel> = (station: string, p: PayloadOf<C>) => string

const int = (n: number | undefined) => (n === undefined ? undefined : { int: n })

const mappers: { [C in Channel]: Mapper<C> } = {
  door: (station, p) => formatLine('door',
    { device: p.device, direction: p.direction, method: p.method, result: p.result, station },
    { seq: int(p.seq), worker: p.worker },
    eventTimestampNs(p.ts, p.seq)),

  occupancy: (station, p) => formatLine('occupancy',
    { device: p.device, station },
    { count: int(p.count), entered: int(p.entered), exited: int(p.exited), seq: int(p.seq) },
    eventTimestampNs(p.ts, p.seq)),

  environment: (station, p) => formatLine('environment',
    { device: p.device, station },
    { temperature: p.temperature, humidity: p.humidity, co2: p.co2, pm25: p.pm25, seq: int(p.seq) },
    eventTimestampNs(p.ts, p.seq)),

  status: (station, p) => formatLine('status',
    { device: p.device, station },
    { state: p.state, firmware: p.firmware, uptime: int(p.uptime), seq: int(p.seq) },
    eventTimestampNs(p.ts, p.seq)),

  equipment: (station, p) => formatLine('equipment',
    { appliance: p.appliance, device: p.device, station, unit: String(p.unit) },
    { state: p.state, powerW: p.powerW, setpoint: p.setpoint, fault: p.fault, seq: int(p.seq) },
    eventTimestampNs(p.ts, p.seq)),

  supply: (station, p) => formatLine('supply',
    { device: p.device, item: p.item, station },
    { quantity: int(p.quantity), capacity: int(p.capacity), seq: int(p.seq) },
    eventTimestampNs(p.ts, p.seq))
}

export function eventToLine (station: string, event: AnyEvent): string {
  return (mappers[event.channel] as Mapper<typeof event.channel>)(station, event.payload)
}
