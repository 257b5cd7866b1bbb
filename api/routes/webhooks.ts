// Webhooks (admin): where alert notifications go (docs/alerts.md "Notifications"). Create and
// rotate answer the signing secret once; every change is audited. Notifications (admin): each
// delivery with its state, attempts, last error and give-up.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { NewWebhook, Notification, NotificationQuery, Webhook, WebhookPatch } from '../../alerts/notify/schemas.ts'
import type { WebhookAdmin } from '../../alerts/notify/webhook-admin.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { actorOf } from '../auth/roles.ts'
import { errorResponses, httpError } from '../errors.ts'

export type WebhooksRouteOptions = { registry: Registry, webhookAdmin: WebhookAdmin }

const Id = z.object({ id: z.string().regex(/^[1-9]\d{0,15}$/, 'id: a positive integer').transform(Number) })

const webhookExample = {
  id: 3, name: 'Futian WeCom group', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…', scope: 'district', scopeId: 'futian',
  allAlerts: true, targets: ['district-oncall'], enabled: true, createdAt: '2026-03-01T08:00:00.000Z', updatedAt: null, rotatedAt: null, deletedAt: null
}
const WithSecret = z.object({
  webhook: Webhook,
  secret: z.string().describe('HMAC-SHA256 key: receivers check `x-waystation-signature: sha256=<hex of HMAC(secret, raw body)>`. Shown once.')
}).meta({ example: { webhook: webhookExample, secret: 'whsec_Yp3cS0m8vQ2kZ8tL1nH4rW6xE9aB7dF5gJ0uK2iO3sM' } })

export const webhooksRoute: FastifyPluginAsyncZod<WebhooksRouteOptions> = async (app, { registry, webhookAdmin }) => {
  app.get('/webhooks', {
    config: { auth: 'admin' },
    schema: {
      summary: 'List webhooks (admin)',
      description: 'Never a secret.',
      tags: ['alerts'],
      response: { 200: z.object({ webhooks: z.array(Webhook) }).meta({ example: { webhooks: [webhookExample] } }), ...errorResponses }
    }
  }, async () => ({ webhooks: await registry.notify.webhooks.list() }))

  app.post('/webhooks', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Add a webhook (admin)',
      description: 'Receives, as JSON POSTs, the alerts of its scope (all, a district, a station): fired, acknowledged and resolved when ' +
        '`allAlerts`, and escalations whose target is in `targets`. The signing secret is in this answer only.',
      tags: ['alerts'],
      body: NewWebhook,
      response: { 201: WithSecret, ...errorResponses }
    }
  }, async (request, reply) => reply.code(201).send(await webhookAdmin.create(actorOf(request), request.body)))

  app.patch('/webhooks/:id', {
    config: { auth: 'admin' },
    schema: { summary: 'Change a webhook (admin)', tags: ['alerts'], params: Id, body: WebhookPatch, response: { 200: Webhook, ...errorResponses } }
  }, async (request) => webhookAdmin.update(actorOf(request), request.params.id, request.body))

  app.post('/webhooks/:id/rotate', {
    config: { auth: 'admin' },
    schema: {
      summary: 'New signing secret (admin)',
      description: 'The old secret stops at once; retries of pending notifications are signed with the new one.',
      tags: ['alerts'],
      params: Id,
      response: { 200: WithSecret, ...errorResponses }
    }
  }, async (request) => webhookAdmin.rotate(actorOf(request), request.params.id))

  app.delete('/webhooks/:id', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Delete a webhook (admin)',
      description: 'Its notifications stay listed; pending ones are given up.',
      tags: ['alerts'],
      params: Id,
      response: { 204: z.null(), ...errorResponses }
    }
  }, async (request, reply) => {
    await webhookAdmin.remove(actorOf(request), request.params.id)
    return reply.code(204).send(null)
  })

  app.get('/notifications', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Webhook notifications, newest first (admin)',
      description: 'Filter by `state` (pending, sent, given_up) and `webhook`; paged by id with `before`. ' +
        'Each has its Idempotency-Key, the transitions it carries, attempts, last status and error.',
      tags: ['alerts'],
      querystring: NotificationQuery,
      response: { 200: z.object({ notifications: z.array(Notification) }), ...errorResponses }
    }
  }, async (request) => ({ notifications: await registry.notify.listNotifications(request.query) }))

  app.get('/notifications/:id', {
    config: { auth: 'admin' },
    schema: {
      summary: 'One notification with the exact body sent (admin)',
      tags: ['alerts'],
      params: Id,
      response: { 200: Notification.extend({ body: z.unknown() }), ...errorResponses }
    }
  }, async (request) => {
    const n = await registry.notify.notification(request.params.id)
    if (!n) throw httpError(404, `notification ${request.params.id} not found`)
    return n
  })
}
