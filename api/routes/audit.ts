// GET /audit (admin): who changed what and when, newest first, with each change's before
// and after. Secrets never enter the log (registry/admin.ts passes records, not credentials).
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from '../../registry/open-registry.ts'
import { AuditEntry } from '../../registry/schemas.ts'
import { errorResponses } from '../errors.ts'

export type AuditRouteOptions = { registry: Registry }

export const MAX_AUDIT_PAGE = 500

// Query strings are text: digits only, so "1e3", " 5" or "0x10" are refused rather than coerced.
const count = (what: string) => z.string().regex(/^[1-9]\d{0,15}$/, `${what}: a positive integer`).transform(Number)

const AuditQuery = z.object({
  limit: count('limit').pipe(z.int().max(MAX_AUDIT_PAGE, `limit: at most ${MAX_AUDIT_PAGE}`)).optional()
    .describe(`Entries per page, 1-${MAX_AUDIT_PAGE} (default 50)`),
  before: count('before').pipe(z.int().max(Number.MAX_SAFE_INTEGER)).optional()
    .describe('Only entries with a smaller id: pass the previous page\'s nextBefore'),
  // The id is whatever the log writes after the kind: station and device ids, but also a
  // district's name (`district:福田区`, a district-wide supplies change, any script and spaces)
  // and kinds with an underscore (`alert_rule:co2_high`). Matched exactly, as a parameter.
  target: z.string().regex(/^[a-z][a-z_]{0,31}:(?!\s)[^\p{Cc}]{1,200}$/u, 'target: kind:id, e.g. station:sz-futian-001, device:sz-futian-001-door, district:福田区 or alert_rule:co2_high').optional()
    .describe('Only changes of this object, e.g. station:sz-futian-001 or district:福田区 (URL-encoded)')
})

const AuditPage = z.object({
  entries: z.array(AuditEntry),
  nextBefore: z.int().nullable().describe('`before` for the next (older) page; null on the last page')
}).meta({
  example: {
    entries: [{
      id: 42,
      at: '2026-05-02T09:00:00.000Z',
      actor: 'token:a1b2c3d4e5f6:ops',
      action: 'station.suspend',
      target: 'station:sz-futian-001',
      before: { id: 'sz-futian-001', status: 'active' },
      after: { id: 'sz-futian-001', status: 'suspended' }
    }],
    nextBefore: 42
  }
})

export const auditRoute: FastifyPluginAsyncZod<AuditRouteOptions> = async (app, { registry }) => {
  app.get('/audit', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Audit log of administrative changes',
      description: 'Every change made through the admin API or the CLI: actor (`token:<id>:<name>` or `cli:<user>`), ' +
        'action, target and the object before and after. Newest first, paged by id.',
      tags: ['admin'],
      querystring: AuditQuery,
      response: { 200: AuditPage, ...errorResponses }
    }
  }, async (request) => {
    const limit = request.query.limit ?? 50
    const entries = await registry.audit.list({
      limit,
      ...(request.query.before !== undefined ? { before: request.query.before } : {}),
      ...(request.query.target !== undefined ? { target: request.query.target } : {})
    })
    return { entries, nextBefore: entries.length === limit ? entries.at(-1)!.id : null }
  })
}
