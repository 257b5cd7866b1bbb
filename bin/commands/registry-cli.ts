// `waystation devices|tokens|audit …`: device credentials, API tokens and the audit log from
// the server's shell (stations: stations-cli.ts). Same code path as the admin API
// (registry/admin.ts), audited as `cli:<os user>`. `tokens create` is how the first admin
// token comes to exist: the API has no anonymous way to make one.
import type { Config } from '../../platform/config.ts'
import { RegistryError } from '../../registry/open-registry.ts'
import { DEVICE_KINDS, ROLES } from '../../registry/schemas.ts'
import { num, parse, printJson, printRows, printWithSecret, required, runRegistryCommand, SCOPE, SCOPE_OPTIONS, scopeOf, scopeText, UsageError } from './cli-support.ts'

export const DEVICES_USAGE = `usage:
  waystation devices add --station STATION_ID --id DEVICE_ID --kind ${DEVICE_KINDS.join('|')} [--json]
  waystation devices list --station STATION_ID [--json]
  waystation devices rotate DEVICE_ID [--json]   new secret (shown once); the old one stops working at once
  waystation devices revoke DEVICE_ID      the device can no longer connect

  kinds: door (door events), sensors (climate), shelf (supplies), hub (everything of its station)
  The secret is printed once, on the last line as "secret: …" (--json: one JSON line).`

export const TOKENS_USAGE = `usage:
  waystation tokens create --name NAME --role ${ROLES.join('|')} [${SCOPE}] [--expires ISO_DATE_TIME] [--json]
  waystation tokens list [--json]
  waystation tokens revoke TOKEN_ID        also ends the dashboard sessions opened with it

  roles: viewer reads figures; operator also records operational changes; admin also manages
  stations, devices, services and tokens and reads the audit log. The token is shown once, on
  the last line as "secret: …" (--json: one JSON line).
  scope: which stations the token sees (default --all-stations): a district's, or a list; it
  sees nothing of the others. An admin token is always scoped to all stations.`

export const AUDIT_USAGE = `usage:
  waystation audit [--limit N] [--before ID] [--target station:ID|device:ID|service:ID|token:ID] [--json]`

export function devicesCommand (config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv
  return runRegistryCommand(config, DEVICES_USAGE, async ({ registry, admin, actor }) => {
    switch (sub) {
      case 'add': {
        const { values } = parse(args, { station: { type: 'string' }, id: { type: 'string' }, kind: { type: 'string' }, json: { type: 'boolean' } })
        // No default kind: it decides what the device may publish, and the most convenient
        // default (hub) would also be the most powerful.
        const { device, secret } = await admin.addDevice(actor, required(values.station, '--station'), required(values.id, '--id'), required(values.kind, '--kind'))
        printWithSecret(device, secret, values.json, 'Configure the device with it now.')
        return 0
      }
      case 'list': {
        const { values } = parse(args, { station: { type: 'string' }, json: { type: 'boolean' } })
        const station = required(values.station, '--station')
        if (!await registry.getStation(station)) throw new RegistryError('not_found', `station ${station} not found`)
        printRows(await registry.listDevices(station), values.json)
        return 0
      }
      case 'rotate': {
        const { values, positionals } = parse(args, { json: { type: 'boolean' } }, 1)
        const { device, secret } = await admin.rotateDevice(actor, required(positionals[0], 'DEVICE_ID'))
        printWithSecret(device, secret, values.json, 'Configure the device with it now: the old secret no longer works.')
        return 0
      }
      case 'revoke': {
        const { positionals } = parse(args, {}, 1)
        printJson(await admin.revokeDevice(actor, required(positionals[0], 'DEVICE_ID')))
        return 0
      }
      default:
        throw new UsageError(sub ? `unknown devices command ${JSON.stringify(sub)}` : 'devices: which command?')
    }
  })
}

export function tokensCommand (config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv
  return runRegistryCommand(config, TOKENS_USAGE, async ({ registry, admin, actor }) => {
    switch (sub) {
      case 'create': {
        const { values } = parse(args, { name: { type: 'string' }, role: { type: 'string' }, expires: { type: 'string' }, json: { type: 'boolean' }, ...SCOPE_OPTIONS })
        const scope = scopeOf(values)
        const { token, secret } = await admin.createToken(actor, {
          name: required(values.name, '--name'), role: required(values.role, '--role'), expiresAt: values.expires ?? null, ...(scope ? { scope } : {})
        })
        printWithSecret(token, secret, values.json, 'Keep it now; clients send it as "Authorization: Bearer <secret>".')
        return 0
      }
      case 'list': {
        const { values } = parse(args, { json: { type: 'boolean' } })
        // The table shows the scope as text; --json has it as an object.
        printRows(await registry.tokens.list(), values.json, (t) => ({ id: t.id, name: t.name, role: t.role, scope: scopeText(t.scope).slice(0, 60), createdAt: t.createdAt, expiresAt: t.expiresAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt }))
        return 0
      }
      case 'revoke': {
        const { positionals } = parse(args, {}, 1)
        printJson(await admin.revokeToken(actor, required(positionals[0], 'TOKEN_ID')))
        return 0
      }
      default:
        throw new UsageError(sub ? `unknown tokens command ${JSON.stringify(sub)}` : 'tokens: which command?')
    }
  })
}

export function auditCommand (config: Config, argv: string[]): Promise<number> {
  return runRegistryCommand(config, AUDIT_USAGE, async ({ registry }) => {
    const { values } = parse(argv, { limit: { type: 'string' }, before: { type: 'string' }, target: { type: 'string' }, json: { type: 'boolean' } })
    const limit = num(values.limit, 'limit') ?? 50
    const before = num(values.before, 'before')
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RegistryError('invalid', '--limit must be an integer from 1 to 10000')
    if (before !== undefined && !(Number.isInteger(before) && before > 0)) throw new RegistryError('invalid', '--before must be a positive integer (an entry id)')
    const entries = await registry.audit.list({ limit, ...(before !== undefined ? { before } : {}), ...(values.target !== undefined ? { target: values.target } : {}) })
    // The table leaves out before/after, which do not fit a terminal; --json has everything.
    printRows(entries, values.json, (e) => ({ id: e.id, at: e.at, actor: e.actor, action: e.action, target: e.target }))
    return 0
  })
}
