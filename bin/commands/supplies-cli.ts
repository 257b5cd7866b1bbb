// `waystation supplies …`: the supplies catalog, deliveries, restocks, hand counts and the
// daily weather file, from the server's shell. Same audited code path as the API
// (supplies/supply-admin.ts), recorded as `cli:<os user>`.
import { readFileSync } from 'node:fs'
import type { Config } from '../../platform/config.ts'
import { RegistryError } from '../../registry/open-registry.ts'
import { parseCsv } from '../../registry/csv.ts'
import { WEATHER_DRIVERS, type WeatherDriver } from '../../supplies/schemas.ts'
import { createSupplyAdmin } from '../../supplies/supply-admin.ts'
import { num, parse, printJson, printRows, required, runRegistryCommand, UsageError } from './cli-support.ts'

export const SUPPLIES_USAGE = `usage:
  waystation supplies list --station ID [--json]            catalog and deliveries
  waystation supplies set --station ID|--district D --item SLUG --name-zh 瓶装水 --name-en "Bottled water"
      --capacity N --threshold N [--unit bottle] [--weather ${WEATHER_DRIVERS.join('|')}] [--price-cents N]
  waystation supplies remove --station ID --item SLUG
  waystation supplies delivery --station ID --item SLUG --quantity N --supplier NAME --at HH:MM [--days 1,2,3] [--donation]
  waystation supplies restock --station ID --item SLUG --quantity N (--purchase | --donor NAME) [--by NAME] [--at ISO]
  waystation supplies count --station ID --item SLUG --quantity N [--by NAME] [--at ISO]
  waystation supplies weather FILE.csv                      daily forecast: district,date,maxC,rainMm ('' district: all)`

export function suppliesCommand (config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv
  return runRegistryCommand(config, SUPPLIES_USAGE, async ({ registry, actor }) => {
    const admin = createSupplyAdmin(registry)
    const int = (v: string | undefined, name: string) => required(num(v, name), `--${name}`)
    switch (sub) {
      case 'list': {
        const { values } = parse(args, { station: { type: 'string' }, json: { type: 'boolean' } })
        const station = required(values.station, '--station')
        if (!await registry.getStation(station)) throw new RegistryError('not_found', `station ${station} not found`)
        printRows(await registry.supplies.items(station), values.json)
        printRows(await registry.supplies.deliveries(station), values.json)
        return 0
      }
      case 'set': {
        const { values: v } = parse(args, {
          station: { type: 'string' }, district: { type: 'string' }, item: { type: 'string' }, 'name-zh': { type: 'string' }, 'name-en': { type: 'string' },
          capacity: { type: 'string' }, threshold: { type: 'string' }, unit: { type: 'string' }, weather: { type: 'string' }, 'price-cents': { type: 'string' }
        })
        if ((v.station === undefined) === (v.district === undefined)) throw new UsageError('give one of --station or --district')
        const input = {
          nameZh: required(v['name-zh'], '--name-zh'), nameEn: required(v['name-en'], '--name-en'), capacity: int(v.capacity, 'capacity'),
          threshold: int(v.threshold, 'threshold'), ...(v.unit ? { unit: v.unit } : {}), ...(v.weather ? { weather: v.weather as WeatherDriver } : {}),
          ...(v['price-cents'] ? { priceCents: int(v['price-cents'], 'price-cents') } : {})
        }
        const item = required(v.item, '--item')
        printJson(v.station ? await admin.setItem(actor, v.station, item, input) : await admin.setDistrictItem(actor, v.district!, item, input))
        return 0
      }
      case 'remove': {
        const { values } = parse(args, { station: { type: 'string' }, item: { type: 'string' } })
        printJson(await admin.removeItem(actor, required(values.station, '--station'), required(values.item, '--item')))
        return 0
      }
      case 'delivery': {
        const { values: v } = parse(args, { station: { type: 'string' }, item: { type: 'string' }, quantity: { type: 'string' }, supplier: { type: 'string' }, at: { type: 'string' }, days: { type: 'string' }, donation: { type: 'boolean' } })
        printJson(await admin.addDelivery(actor, required(v.station, '--station'), {
          item: required(v.item, '--item'), quantity: int(v.quantity, 'quantity'), supplier: required(v.supplier, '--supplier'), at: required(v.at, '--at'),
          source: v.donation ? 'donation' : 'purchase', ...(v.days ? { days: v.days.split(',').map(Number) } : {})
        }))
        return 0
      }
      case 'restock': {
        const { values: v } = parse(args, { station: { type: 'string' }, item: { type: 'string' }, quantity: { type: 'string' }, purchase: { type: 'boolean' }, donor: { type: 'string' }, by: { type: 'string' }, at: { type: 'string' } })
        if (Boolean(v.purchase) === (v.donor !== undefined)) throw new UsageError('give one of --purchase or --donor NAME')
        printJson(await admin.logRestock(actor, required(v.station, '--station'), {
          item: required(v.item, '--item'), quantity: int(v.quantity, 'quantity'), source: v.purchase ? 'purchase' : 'donation',
          ...(v.donor ? { donor: v.donor } : {}), by: v.by ?? actor, ...(v.at ? { at: v.at } : {})
        }))
        return 0
      }
      case 'count': {
        const { values: v } = parse(args, { station: { type: 'string' }, item: { type: 'string' }, quantity: { type: 'string' }, by: { type: 'string' }, at: { type: 'string' } })
        printJson(await admin.addCount(actor, required(v.station, '--station'), { item: required(v.item, '--item'), quantity: int(v.quantity, 'quantity'), by: v.by ?? actor, ...(v.at ? { at: v.at } : {}) }))
        return 0
      }
      case 'weather': {
        const { positionals } = parse(args, {}, 1)
        const [header, ...rows] = parseCsv(readFileSync(required(positionals[0], 'FILE'), 'utf8'))
        const col = (name: string) => {
          const i = header?.indexOf(name) ?? -1
          if (i < 0) throw new RegistryError('invalid', `weather file: no ${name} column (header: district,date,maxC,rainMm)`)
          return i
        }
        const [d, date, maxC, rain] = [col('district'), col('date'), col('maxC'), col('rainMm')]
        const days = rows.map((r) => ({ district: r[d] ?? '', date: r[date] ?? '', maxC: Number(r[maxC]), rainMm: Number(r[rain]) }))
        printJson({ stored: (await admin.setWeather(actor, days)).length })
        return 0
      }
      default:
        throw new UsageError(sub ? `unknown supplies command ${JSON.stringify(sub)}` : 'supplies: which command?')
    }
  })
}
