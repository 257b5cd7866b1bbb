import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestStack, type TestStack } from './support/stack.ts'

// Webhook administration over the API: admin only, the secret in the create and rotate
// answers only, every change audited; notifications listed with their delivery state.

let stack: TestStack

beforeAll(async () => {
  stack = await startTestStack({})
  await stack.addStation({ id: 'wh-1', name: 'Webhooks 1', district: 'futian' }, [])
}, 60_000)
afterAll(async () => { await stack?.stop() })

describe('webhooks API', () => {
  test('create (secret once), list, change, rotate, delete: admin only and audited', async () => {
    const body = { name: 'Futian WeCom', url: 'http://127.0.0.1:9/hook', scope: 'district', scopeId: 'futian', targets: ['district-oncall'] }
    expect((await stack.app.inject({ method: 'POST', url: '/webhooks', headers: stack.auth('operator'), payload: body })).statusCode).toBe(403)
    expect((await stack.app.inject({ url: '/webhooks', headers: stack.auth('viewer') })).statusCode).toBe(403)
    const bad = await stack.app.inject({ method: 'POST', url: '/webhooks', headers: stack.auth('admin'), payload: { ...body, url: 'file:///etc/passwd' } })
    expect(bad.statusCode).toBe(400)
    const noStation = await stack.app.inject({ method: 'POST', url: '/webhooks', headers: stack.auth('admin'), payload: { ...body, scope: 'station', scopeId: 'nope' } })
    expect(noStation.statusCode).toBe(404)

    const created = await stack.app.inject({ method: 'POST', url: '/webhooks', headers: stack.auth('admin'), payload: body })
    expect(created.statusCode).toBe(201)
    const { webhook, secret } = created.json() as { webhook: { id: number }, secret: string }
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
    expect(webhook).toMatchObject({ name: 'Futian WeCom', scope: 'district', scopeId: 'futian', allAlerts: true, targets: ['district-oncall'], enabled: true })

    const list = await stack.app.inject({ url: '/webhooks', headers: stack.auth('admin') })
    expect(list.json()).toMatchObject({ webhooks: [{ id: webhook.id }] })
    expect(list.body).not.toContain(secret)

    const patched = await stack.app.inject({ method: 'PATCH', url: `/webhooks/${webhook.id}`, headers: stack.auth('admin'), payload: { scope: 'all', enabled: false } })
    expect(patched.json()).toMatchObject({ scope: 'all', scopeId: '', enabled: false })

    const rotated = await stack.app.inject({ method: 'POST', url: `/webhooks/${webhook.id}/rotate`, headers: stack.auth('admin') })
    const newSecret = (rotated.json() as { secret: string }).secret
    expect(newSecret).not.toBe(secret)
    expect(await stack.registry.notify.webhooks.secretOf(webhook.id)).toBe(newSecret)

    expect((await stack.app.inject({ method: 'DELETE', url: `/webhooks/${webhook.id}`, headers: stack.auth('admin') })).statusCode).toBe(204)
    expect((await stack.app.inject({ method: 'DELETE', url: `/webhooks/${webhook.id}`, headers: stack.auth('admin') })).statusCode).toBe(404)

    const audit = await stack.app.inject({ url: `/audit?target=webhook:${webhook.id}`, headers: stack.auth('admin') })
    const entries = (audit.json() as { entries: Array<{ action: string }> }).entries
    expect(entries.map((e) => e.action)).toEqual(['webhook.delete', 'webhook.rotate', 'webhook.update', 'webhook.create'])
    expect(audit.body).not.toContain(secret)
    expect(audit.body).not.toContain(newSecret)
  })

  test('notifications are listed with state, attempts and last error (admin)', async () => {
    expect((await stack.app.inject({ url: '/notifications', headers: stack.auth('viewer') })).statusCode).toBe(403)
    const r = await stack.app.inject({ url: '/notifications?state=given_up', headers: stack.auth('admin') })
    expect(r.statusCode).toBe(200)
    expect(r.json()).toEqual({ notifications: [] })
    expect((await stack.app.inject({ url: '/notifications/99', headers: stack.auth('admin') })).statusCode).toBe(404)
  })
})
