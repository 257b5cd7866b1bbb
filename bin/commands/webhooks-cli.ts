// `waystation webhooks …`: where alert notifications go, from the server's shell. Same code
// path as the admin API (alerts/notify/webhook-admin.ts), audited as `cli:<os user>`; the
// signing secret is printed once (create, rotate) and never listed.
import { NewWebhook, type Webhook } from '../../alerts/notify/schemas.ts'
import { createWebhookAdmin } from '../../alerts/notify/webhook-admin.ts'
import type { Config } from '../../platform/config.ts'
import { invalid } from '../../registry/registry-error.ts'
import { parse, printJson, printRows, printWithSecret, required, runRegistryCommand, UsageError } from './cli-support.ts'

export const WEBHOOKS_USAGE = `usage:
  waystation webhooks add --name NAME --url https://… [--all | --district D | --station ID]
      [--targets district-oncall,…] [--escalations-only] [--disabled] [--json]
  waystation webhooks list [--json]
  waystation webhooks rotate WEBHOOK_ID [--json]   new signing secret (shown once), used from the next attempt on
  waystation webhooks delete WEBHOOK_ID            notifications still due to it are given up

  A webhook receives fired, acknowledged and resolved notifications of the alerts in its scope
  (default: every station), unless --escalations-only, and the escalations whose target is in
  --targets. Each request is signed: x-waystation-signature: sha256=HMAC-SHA256(secret, body)
  (docs/alerts.md#notifications).`

const row = (w: Webhook) => ({ id: w.id, name: w.name, url: w.url.slice(0, 60), scope: w.scope === 'all' ? 'all' : `${w.scope} ${w.scopeId}`, allAlerts: w.allAlerts, targets: w.targets.join(','), enabled: w.enabled })

const idOf = (v: string | undefined): number => {
  const s = required(v, 'WEBHOOK_ID')
  if (!/^[1-9]\d{0,15}$/.test(s)) throw new UsageError(`WEBHOOK_ID must be a positive integer, got ${JSON.stringify(s)}`)
  return Number(s)
}

const STORED = 'kept by the server to sign requests (never listed or audited)'

export function webhooksCommand (config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv
  return runRegistryCommand(config, WEBHOOKS_USAGE, async ({ registry, actor }) => {
    const admin = createWebhookAdmin(registry)
    switch (sub) {
      case 'add': {
        const { values: v } = parse(args, {
          name: { type: 'string' }, url: { type: 'string' }, all: { type: 'boolean' }, district: { type: 'string' }, station: { type: 'string' },
          targets: { type: 'string' }, 'escalations-only': { type: 'boolean' }, disabled: { type: 'boolean' }, json: { type: 'boolean' }
        })
        if ([v.all, v.district !== undefined, v.station !== undefined].filter(Boolean).length > 1) throw new UsageError('one scope only: --all | --district D | --station ID')
        const input = NewWebhook.safeParse({
          name: required(v.name, '--name'),
          url: required(v.url, '--url'),
          scope: v.station !== undefined ? 'station' : v.district !== undefined ? 'district' : 'all',
          scopeId: v.station ?? v.district ?? '',
          allAlerts: !v['escalations-only'],
          targets: v.targets === undefined ? [] : v.targets.split(',').map((t) => t.trim()).filter(Boolean),
          enabled: !v.disabled
        })
        if (!input.success) throw invalid(input.error)
        const { webhook, secret } = await admin.create(actor, input.data)
        printWithSecret(webhook, secret, v.json, 'Give it to the receiver now to check x-waystation-signature.', STORED)
        return 0
      }
      case 'list': {
        const { values } = parse(args, { json: { type: 'boolean' } })
        printRows(await registry.notify.webhooks.list(), values.json, row)
        return 0
      }
      case 'rotate': {
        const { values, positionals } = parse(args, { json: { type: 'boolean' } }, 1)
        const { webhook, secret } = await admin.rotate(actor, idOf(positionals[0]))
        printWithSecret(webhook, secret, values.json, 'Give it to the receiver now: requests from now on are signed with it.', STORED)
        return 0
      }
      case 'delete': {
        const { positionals } = parse(args, {}, 1)
        const n = idOf(positionals[0])
        await admin.remove(actor, n)
        printJson({ deleted: n })
        return 0
      }
      default:
        throw new UsageError(sub ? `unknown webhooks command ${JSON.stringify(sub)}` : 'webhooks: which command?')
    }
  })
}
