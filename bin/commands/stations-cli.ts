// `waystation stations …`: the station registry from the server's shell. Every change goes
// through registry/admin.ts, as the admin API's do, and is audited as `cli:<os user>`.
import { readFileSync } from 'node:fs'
import type { Config } from '../../platform/config.ts'
import { RegistryError } from '../../registry/open-registry.ts'
import { StationStatus, type NewStation, type StationPatch } from '../../registry/schemas.ts'
import { openingHours } from '../../registry/station-import.ts'
import { num, parse, printJson, printRows, required, runRegistryCommand, UsageError } from './cli-support.ts'

const FIELDS = '[--address TEXT] [--district TEXT] [--lat N] [--lon N] [--datum wgs84|gcj02] [--timezone IANA] [--capacity N] [--area M2]\n' +
  '        [--hours "24h" | "1-5 06:00-22:00; 6-7 08:00-20:00"] [--amenities ac,charger,…]'

export const STATIONS_USAGE = `usage:
  waystation stations add --id ID --name NAME ${FIELDS}
  waystation stations list [--status active|suspended|retired] [--json]
  waystation stations show ID
  waystation stations update ID [--name NAME] ${FIELDS}
  waystation stations suspend|activate|retire ID
  waystation stations import FILE.csv|-    all or nothing (- reads stdin); columns as in POST /stations/import (/docs)`

const fieldOptions = {
  name: { type: 'string' }, address: { type: 'string' }, district: { type: 'string' },
  lat: { type: 'string' }, lon: { type: 'string' }, datum: { type: 'string' }, timezone: { type: 'string' }, capacity: { type: 'string' },
  area: { type: 'string' }, hours: { type: 'string' }, amenities: { type: 'string' }
} as const

type FieldValues = { [K in keyof typeof fieldOptions]?: string }

// Options given on the command line only: an absent option is "unchanged" for update and
// "default" for add.
function fields (v: FieldValues): StationPatch {
  const hours = v.hours === undefined ? undefined : openingHours(v.hours)
  if (typeof hours === 'string' && hours !== '24h') throw new RegistryError('invalid', `--hours: ${hours}`)
  const patch: Record<string, unknown> = {
    name: v.name,
    address: v.address,
    district: v.district,
    lat: num(v.lat, 'lat'),
    lon: num(v.lon, 'lon'),
    datum: v.datum,
    timezone: v.timezone,
    capacity: num(v.capacity, 'capacity'),
    areaM2: num(v.area, 'area'),
    openingHours: hours,
    amenities: v.amenities?.split(',').map((a) => a.trim()).filter(Boolean)
  }
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as StationPatch
}

const STATUS_OF = { suspend: 'suspended', activate: 'active', retire: 'retired' } as const satisfies Record<string, StationStatus>

export function stationsCommand (config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv
  return runRegistryCommand(config, STATIONS_USAGE, async ({ registry, admin, actor }) => {
    switch (sub) {
      case 'add': {
        const { values } = parse(args, { id: { type: 'string' }, ...fieldOptions })
        const station = { id: required(values.id, '--id'), ...fields(values), name: required(values.name, '--name') }
        const added = await admin.addStation(actor, station as NewStation)
        printJson(added)
        // The zone decides which local day every event counts on: a default taken silently
        // would shift a foreign station's figures by hours. Say what was chosen.
        const chosen = (given: string | undefined, what: string) => (given === undefined ? `${what} (default: no --${what.split(' ')[0]} given)` : what)
        console.error(`station ${added.id}: ${chosen(values.timezone, `timezone ${added.timezone}`)}, ${chosen(values.capacity, `capacity ${added.capacity}`)}`)
        return 0
      }
      case 'list': {
        const { values } = parse(args, { status: { type: 'string' }, json: { type: 'boolean' } })
        const status = values.status === undefined ? undefined : StationStatus.safeParse(values.status)
        if (status && !status.success) throw new UsageError(`--status: one of ${StationStatus.options.join(', ')}`)
        const stations = await registry.stations.list(status ? { status: status.data } : {})
        printRows(stations, values.json, (s) => ({ id: s.id, name: s.name, district: s.district, status: s.status, timezone: s.timezone, capacity: s.capacity }))
        return 0
      }
      case 'show': {
        const { positionals } = parse(args, {}, 1)
        const id = required(positionals[0], 'station ID')
        const station = await registry.getStation(id)
        if (!station) throw new RegistryError('not_found', `station ${id} not found`)
        printJson({ ...station, devices: await registry.listDevices(station.id) })
        return 0
      }
      case 'update': {
        const { values, positionals } = parse(args, { ...fieldOptions, status: { type: 'string' } }, 1)
        const patch = { ...fields(values), ...(values.status !== undefined ? { status: values.status } : {}) } as StationPatch
        if (Object.keys(patch).length === 0) throw new UsageError('nothing to change: give at least one option')
        printJson(await admin.updateStation(actor, required(positionals[0], 'station ID'), patch))
        return 0
      }
      case 'suspend':
      case 'activate':
      case 'retire': {
        const { positionals } = parse(args, {}, 1)
        printJson(await admin.updateStation(actor, required(positionals[0], 'station ID'), { status: STATUS_OF[sub] }))
        return 0
      }
      case 'import': {
        const { positionals } = parse(args, {}, 1)
        const file = required(positionals[0], 'FILE.csv')
        let csv: string
        try {
          csv = readFileSync(file === '-' ? 0 : file, 'utf8')
        } catch (err) {
          throw new RegistryError('invalid', `cannot read ${file}: ${(err as Error).message}`)
        }
        const created = await admin.importStations(actor, csv)
        console.log(`imported ${created.length} station(s): ${created.map((s) => s.id).join(', ')}`)
        return 0
      }
      default:
        throw new UsageError(sub ? `unknown stations command ${JSON.stringify(sub)}` : 'stations: which command?')
    }
  })
}
