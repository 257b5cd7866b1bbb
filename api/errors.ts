// One error shape for every failure the API answers with, whoever raised it: schema
// validation, a route (`httpError`), Fastify itself (bad JSON, unknown route) or a crash.
// Clients branch on `statusCode`/`error` and show `message`, which never carries internals.
import { STATUS_CODES } from 'node:http'
import { z } from 'zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { RegistryError } from '../registry/registry-error.ts'
import { StoreQueryError, StoreUnavailableError } from './store-unavailable-error.ts'

export const ErrorBody = z.object({
  error: z.string().describe('HTTP reason phrase, e.g. "Bad Request"'),
  message: z.string().describe('What went wrong, for humans'),
  statusCode: z.int()
}).meta({ description: 'Error' })
export type ErrorBody = z.infer<typeof ErrorBody>

// The documented error responses, spread into route schemas.
export const errorResponses = {
  400: ErrorBody.describe('Invalid parameter'),
  500: ErrorBody.describe('Unexpected error')
}

// The errors of a station's figure routes: the above, an unknown station, InfluxDB down.
export const stationFigureErrors = {
  ...errorResponses,
  404: ErrorBody.describe('No such station'),
  503: ErrorBody.describe('Time-series store unavailable')
}

type HttpError = Error & { statusCode: number }

const REGISTRY_STATUS = { not_found: 404, conflict: 409, invalid: 400 } as const

/**
 * An error a route throws to answer `statusCode` with `message` (4xx only: safe to show), and
 * a machine-readable `reason` where the API documents one (a refused session).
 */
export function httpError (statusCode: number, message: string, reason?: string): HttpError {
  return Object.assign(new Error(message), { statusCode }, reason === undefined ? {} : { reason })
}

export function errorBody (statusCode: number, message: string): ErrorBody {
  return { error: STATUS_CODES[statusCode] ?? 'Error', message, statusCode }
}

type ValidationIssue = { instancePath: string, message?: string }

// "querystring.from: ..." names the parameter the way a client wrote it.
function validationMessage (context: string | undefined, issues: ValidationIssue[]): string {
  return issues.map((i) => {
    const path = i.instancePath.split('/').filter(Boolean).join('.')
    const where = [context, path].filter(Boolean).join('.') || 'request'
    return `${where}: ${i.message ?? 'invalid'}`
  }).join('; ')
}

// Only name, message and stack: never the error object itself, whose properties may hold a
// request with its Authorization header (node-influx) or other secrets.
function summary (err: unknown): { type: string, message: string, stack?: string } {
  if (err instanceof Error) return { type: err.name, message: err.message, stack: err.stack }
  return { type: typeof err, message: String(err) }
}

export function errorHandler (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const context = (err as { validationContext?: string }).validationContext
    return reply.code(400).send(errorBody(400, validationMessage(context, err.validation)))
  }
  // The registry's refusals describe the request (no such id, already exists, bad value).
  if (err instanceof RegistryError) {
    const code = REGISTRY_STATUS[err.code]
    return reply.code(code).send(errorBody(code, err.message))
  }
  if (err instanceof StoreUnavailableError) {
    request.log.warn({ err: { type: err.name, message: err.message } }, 'time-series store unavailable')
    return reply.code(503).header('retry-after', '5').send(errorBody(503, 'time-series store unavailable'))
  }
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode
  // Client errors, ours (httpError) or Fastify's (malformed JSON, body too large, and the
  // AJV-style validation of any route that does not use zod) describe the request only.
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && err instanceof Error) {
    const reason = (err as { reason?: unknown }).reason
    return reply.code(statusCode).send({ ...errorBody(statusCode, err.message), ...(typeof reason === 'string' ? { reason } : {}) })
  }
  request.log.error({ err: summary(err) }, err instanceof StoreQueryError ? 'time-series query failed' : 'unhandled error')
  return reply.code(500).send(errorBody(500, 'internal server error'))
}

// Errors Fastify raises before routing (a URL with broken percent-encoding): same shape,
// and no echo of the URL.
export function frameworkErrorHandler (err: Error & { statusCode?: number }, request: FastifyRequest, reply: FastifyReply): void {
  const statusCode = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400
  request.log.info({ err: { type: err.name, message: err.message } }, 'malformed request')
  reply.code(statusCode).send(errorBody(statusCode, 'malformed URL'))
}

export function notFoundHandler (request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // Echo the path (bounded) so a client sees which URL was wrong, not the query string.
  const path = (request.url.split('?')[0] ?? '').slice(0, 200)
  return reply.code(404).send(errorBody(404, `route ${request.method} ${path} not found`))
}
