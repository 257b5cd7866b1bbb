import { parseArgs } from 'node:util'
import type { Config } from '../../platform/config.ts'
import { openRegistry, RegistryError } from '../../registry/open-registry.ts'

const STATIONS_USAGE = `usage:
  waystation stations add --id ID --name NAME [--address TEXT] [--lat N] [--lon N] [--timezone IANA] [--capacity N]
  waystation stations list [--json]
  waystation stations show ID`

const DEVICES_USAGE = `usage:
  waystation devices add --station STATION_ID --id DEVICE_ID
  waystation devices list --station STATION_ID [--json]`

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n)) throw new RegistryError('invalid', `--${name} must be a number, got ${JSON.stringify(v)}`)
  return n
}

export async function stationsCommand (config: Config, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      id: { type: 'string' }, name: { type: 'string' }, address: { type: 'string' },
      lat: { type: 'string' }, lon: { type: 'string' }, timezone: { type: 'string' }, capacity: { type: 'string' },
      json: { type: 'boolean' }
    }
  })
  const registry = openRegistry(config.REGISTRY_PATH)
  try {
    if (sub === 'add') {
      if (!values.id || !values.name) throw new RegistryError('invalid', '--id and --name are required')
      const station = registry.addStation({
        id: values.id,
        name: values.name,
        address: values.address,
        lat: num(values.lat, 'lat') ?? null,
        lon: num(values.lon, 'lon') ?? null,
        timezone: values.timezone,
        capacity: num(values.capacity, 'capacity')
      })
      console.log(JSON.stringify(station, null, 2))
      return 0
    }
    if (sub === 'list') {
      const stations = registry.listStations()
      if (values.json) console.log(JSON.stringify(stations, null, 2))
      else console.table(stations.map((s) => ({ id: s.id, name: s.name, timezone: s.timezone, capacity: s.capacity })))
      return 0
    }
    if (sub === 'show' && positionals[0]) {
      const station = registry.getStation(positionals[0])
      if (!station) throw new RegistryError('not_found', `station ${positionals[0]} not found`)
      console.log(JSON.stringify({ ...station, devices: registry.listDevices(station.id) }, null, 2))
      return 0
    }
    console.error(STATIONS_USAGE)
    return 2
  } finally {
    registry.close()
  }
}

export async function devicesCommand (config: Config, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const { values } = parseArgs({
    args: rest,
    options: { station: { type: 'string' }, id: { type: 'string' }, json: { type: 'boolean' } }
  })
  const registry = openRegistry(config.REGISTRY_PATH)
  try {
    if (sub === 'add' && values.station && values.id) {
      const { device, secret } = await registry.addDevice(values.station, values.id)
      console.log(JSON.stringify({ ...device, secret }, null, 2))
      console.error('The secret is shown once and stored only as a hash: configure the device with it now.')
      return 0
    }
    if (sub === 'list' && values.station) {
      const devices = registry.listDevices(values.station)
      if (values.json) console.log(JSON.stringify(devices, null, 2))
      else console.table(devices)
      return 0
    }
    console.error(DEVICES_USAGE)
    return 2
  } finally {
    registry.close()
  }
}
