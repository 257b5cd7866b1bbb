import { randomBytes } from 'node:crypto'
import type { Registry } from '../../registry/open-registry.ts'
import { RegistryError } from '../../registry/registry-error.ts'
import type { NewWebhook, Webhook, WebhookPatch } from './schemas.ts'

/**
 * Webhook changes, audited like every admin change (registry/admin.ts). The signing secret is
 * returned by create and rotate only; it is kept in the registry because signing needs it
 * (an HMAC key cannot be stored as a hash), and never appears in the audit log or a listing.
 */
export function createWebhookAdmin (registry: Registry, clock: () => number = Date.now) {
  const now = () => new Date(clock()).toISOString()
  const store = registry.notify.webhooks
  const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`

  async function checkScope (w: { scope: Webhook['scope'], scopeId: string }): Promise<void> {
    if (w.scope === 'all' && w.scopeId !== '') throw new RegistryError('invalid', 'scope all takes no scopeId')
    if (w.scope !== 'all' && w.scopeId === '') throw new RegistryError('invalid', `scope ${w.scope} needs a scopeId`)
    if (w.scope === 'station' && !await registry.getStation(w.scopeId)) throw new RegistryError('not_found', `station ${w.scopeId} not found`)
  }
  async function existing (id: number): Promise<Webhook> {
    const w = await store.get(id)
    if (!w) throw new RegistryError('not_found', `webhook ${id} not found`)
    return w
  }

  return {
    async create (actor: string, input: NewWebhook): Promise<{ webhook: Webhook, secret: string }> {
      await checkScope(input)
      const secret = newSecret()
      const webhook = await store.add(input, secret, now())
      await registry.audit.append({ actor, action: 'webhook.create', target: `webhook:${webhook.id}`, after: webhook })
      return { webhook, secret }
    },
    async update (actor: string, id: number, patch: WebhookPatch): Promise<Webhook> {
      const before = await existing(id)
      await checkScope({ scope: patch.scope ?? before.scope, scopeId: patch.scopeId ?? (patch.scope === 'all' ? '' : before.scopeId) })
      const after = (await store.update(id, patch.scope === 'all' && patch.scopeId === undefined ? { ...patch, scopeId: '' } : patch, now()))!
      await registry.audit.append({ actor, action: 'webhook.update', target: `webhook:${id}`, before, after })
      return after
    },
    /** A new secret, in force for every attempt from now on (pending retries included). */
    async rotate (actor: string, id: number): Promise<{ webhook: Webhook, secret: string }> {
      await existing(id)
      const secret = newSecret()
      const webhook = (await store.rotate(id, secret, now()))!
      await registry.audit.append({ actor, action: 'webhook.rotate', target: `webhook:${id}`, after: { rotatedAt: webhook.rotatedAt } })
      return { webhook, secret }
    },
    async remove (actor: string, id: number): Promise<void> {
      const before = await existing(id)
      await store.remove(id, now())
      await registry.audit.append({ actor, action: 'webhook.delete', target: `webhook:${id}`, before })
    }
  }
}

export type WebhookAdmin = ReturnType<typeof createWebhookAdmin>
