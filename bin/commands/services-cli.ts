// `waystation services …`: MQTT credentials of service clients (dashboard live feeds, alerting,
// operator consoles) from the server's shell. Same code path as the admin API
// (registry/admin.ts), audited as `cli:<os user>`.
import type { Config } from '../../platform/config.ts'
import { SERVICE_PERMISSIONS, type Service, type ServicePatch, type ServicePermission } from '../../registry/schemas.ts'
import { parse, printJson, printRows, printWithSecret, required, runRegistryCommand, SCOPE, SCOPE_OPTIONS, scopeOf, scopeText, UsageError } from './cli-support.ts'


export const SERVICES_USAGE = `usage:
  waystation services add --id SERVICE_ID --name NAME (${SCOPE}) [--permission ${SERVICE_PERMISSIONS.join('|')}] [--json]
  waystation services list [--json]
  waystation services update SERVICE_ID [--name NAME] [${SCOPE}] [--permission …]
  waystation services rotate SERVICE_ID [--json]   new secret (shown once); the old one stops working at once
  waystation services revoke SERVICE_ID    the service can no longer connect

  A service logs in to the broker with its id as username and client id (or id:suffix for
  several instances). subscribe (the default): live data of the stations in scope, read-only.
  subscribe+commands: also publish stations/{id}/commands/… to them. A wildcard at the station
  level (stations/+/door, stations/#) needs --all-stations. Service ids must differ from device
  ids. Changing scope or permission, rotating and revoking drop the live connections.`

const scopeOptions = { ...SCOPE_OPTIONS, permission: { type: 'string' } } as const

// The table for people: one line per service, the scope as text.
const row = (s: Service) => ({ id: s.id, name: s.name, scope: scopeText(s.scope).slice(0, 60), permission: s.permission, status: s.status, createdAt: s.createdAt })

export function servicesCommand (config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv
  return runRegistryCommand(config, SERVICES_USAGE, async ({ registry, admin, actor }) => {
    switch (sub) {
      case 'add': {
        const { values } = parse(args, { id: { type: 'string' }, name: { type: 'string' }, ...scopeOptions, json: { type: 'boolean' } })
        // No default scope: the convenient one (all stations) would also be the widest.
        const scope = required(scopeOf(values), `a scope (${SCOPE})`)
        const permission = values.permission as ServicePermission | undefined
        const { service, secret } = await admin.addService(actor, {
          id: required(values.id, '--id'), name: required(values.name, '--name'), scope, ...(permission !== undefined ? { permission } : {})
        })
        printWithSecret(service, secret, values.json, 'Configure the service with it now (MQTT username and client id: its id).')
        return 0
      }
      case 'list': {
        const { values } = parse(args, { json: { type: 'boolean' } })
        printRows(await registry.services.list(), values.json, row)
        return 0
      }
      case 'update': {
        const { values, positionals } = parse(args, { name: { type: 'string' }, ...scopeOptions }, 1)
        const scope = scopeOf(values)
        const patch = {
          ...(values.name !== undefined ? { name: values.name } : {}),
          ...(scope !== undefined ? { scope } : {}),
          ...(values.permission !== undefined ? { permission: values.permission as ServicePermission } : {})
        } satisfies ServicePatch
        printJson(await admin.updateService(actor, required(positionals[0], 'SERVICE_ID'), patch))
        return 0
      }
      case 'rotate': {
        const { values, positionals } = parse(args, { json: { type: 'boolean' } }, 1)
        const { service, secret } = await admin.rotateService(actor, required(positionals[0], 'SERVICE_ID'))
        printWithSecret(service, secret, values.json, 'Configure the service with it now: the old secret no longer works.')
        return 0
      }
      case 'revoke': {
        const { positionals } = parse(args, {}, 1)
        printJson(await admin.revokeService(actor, required(positionals[0], 'SERVICE_ID')))
        return 0
      }
      default:
        throw new UsageError(sub ? `unknown services command ${JSON.stringify(sub)}` : 'services: which command?')
    }
  })
}
