import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, inject, test } from 'vitest'
import { openRegistry } from '../registry/open-registry.ts'

// `waystation supplies …` in a child process: the catalog set for a district, deliveries,
// restocks, hand counts and the weather file, each audited as cli:<user>; exit codes 1 and 2.

const entry = join(import.meta.dirname, '..', 'bin', 'waystation.ts')
const dir = mkdtempSync(join(tmpdir(), 'waystation-supplies-cli-'))
const env = { ...process.env, REGISTRY_PATH: join(dir, 'registry.sqlite'), LOG_LEVEL: 'warn', INFLUX_URL: inject('influxUrl'), INFLUX_DB: 'supplies_cli' }
const cli = (args: string[]) => spawnSync(process.execPath, [entry, ...args], { env, encoding: 'utf8' })
const ok = (args: string[]) => {
  const r = cli(args)
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0)
  return r.stdout.trim().startsWith('{') || r.stdout.trim().startsWith('[') ? JSON.parse(r.stdout) : r.stdout
}

test('supplies commands change the registry through the audited path', async () => {
  ok(['stations', 'add', '--id', 'hf-001', '--name', '合肥驿站一', '--district', '蜀山区'])
  ok(['stations', 'add', '--id', 'hf-002', '--name', '合肥驿站二', '--district', '蜀山区'])
  const set = ok(['supplies', 'set', '--district', '蜀山区', '--item', 'bottled-water', '--name-zh', '瓶装水', '--name-en', 'Bottled water', '--capacity', '48', '--threshold', '12', '--weather', 'heat', '--price-cents', '150'])
  expect(set.map((i: { stationId: string }) => i.stationId)).toEqual(['hf-001', 'hf-002'])
  ok(['supplies', 'delivery', '--station', 'hf-001', '--item', 'bottled-water', '--quantity', '48', '--supplier', '合肥某饮用水公司', '--at', '15:00', '--donation'])
  expect(ok(['supplies', 'restock', '--station', 'hf-001', '--item', 'bottled-water', '--quantity', '24', '--donor', '合肥某饮用水公司'])).toMatchObject({ source: 'donation', kind: 'logged', quantity: 24 })
  expect(ok(['supplies', 'count', '--station', 'hf-002', '--item', 'bottled-water', '--quantity', '7'])).toMatchObject({ quantity: 7 })
  const file = join(dir, 'weather.csv')
  writeFileSync(file, 'district,date,maxC,rainMm\n蜀山区,2026-07-01,36,0\n,2026-07-01,34,2.5\n')
  expect(ok(['supplies', 'weather', file])).toEqual({ stored: 2 })

  expect(cli(['supplies', 'restock', '--station', 'hf-001', '--item', 'bottled-water', '--quantity', '5']).status).toBe(2) // neither --purchase nor --donor
  expect(cli(['supplies', 'set', '--station', 'hf-001', '--item', 'x', '--name-zh', 'a', '--name-en', 'b', '--capacity', '5', '--threshold', '9']).status).toBe(1) // threshold > capacity
  expect(cli(['supplies', 'count', '--station', 'nowhere', '--item', 'bottled-water', '--quantity', '1']).status).toBe(1)

  const registry = openRegistry(env.REGISTRY_PATH)
  try {
    const actions = (await registry.audit.list({ limit: 20 })).filter((e) => e.action.startsWith('supply.'))
    expect(actions.map((e) => e.action)).toEqual(['supply.weather', 'supply.count', 'supply.restock', 'supply.delivery.create', 'supply.item.district'])
    expect(actions.every((e) => e.actor.startsWith('cli:'))).toBe(true)
    expect(await registry.supplies.weather('2026-07-01', '2026-07-01')).toEqual([{ district: '', date: '2026-07-01', maxC: 34, rainMm: 2.5 }, { district: '蜀山区', date: '2026-07-01', maxC: 36, rainMm: 0 }])
  } finally {
    registry.close()
  }
}, 60_000)
