// How authentication appears in the OpenAPI document: one bearer scheme, required by default,
// and on every route its role, its `security` (empty for public routes) and the 401/403/429
// answers the auth hook can give (none for public routes). Done at route registration from the
// route's own `auth` declaration, so the document cannot drift from what the hook enforces.
import type { RouteOptions } from 'fastify'
import { ErrorBody } from '../errors.ts'
import { AuthErrorBody, CSRF_HEADER, SESSION_COOKIE } from './session-cookie.ts'
import type { AuthLevel } from './roles.ts'

export const BEARER_SCHEME = 'bearerAuth'
export const SESSION_SCHEME = 'sessionCookie'

/** Spread into @fastify/swagger's `openapi` option. */
export const openApiSecurity = {
  components: {
    securitySchemes: {
      [BEARER_SCHEME]: {
        type: 'http' as const,
        scheme: 'bearer',
        bearerFormat: 'wst_<id>_<secret>',
        description: 'An API token: `Authorization: Bearer wst_…`. Create the first admin token on the server with ' +
          '`waystation tokens create --name ops --role admin`, then further tokens with POST /tokens. Roles are cumulative: ' +
          'viewer reads figures, operator also records operational changes, admin also manages stations, devices, tokens ' +
          'and reads the audit log. A token may be scoped to a district or a list of stations: it then sees only those ' +
          '(another station answers 404, fleet figures cover its stations only) and cannot call admin routes.'
      },
      [SESSION_SCHEME]: {
        type: 'apiKey' as const,
        in: 'cookie' as const,
        name: SESSION_COOKIE,
        description: 'The dashboard\'s browser session: POST /session exchanges a token for it. Acts as its token (role, scope). ' +
          `Writes (POST, PUT, PATCH, DELETE) made with it must send the session's csrf token in \`${CSRF_HEADER}\`.`
      }
    }
  },
  security: [{ [BEARER_SCHEME]: [] }, { [SESSION_SCHEME]: [] }] as Array<Record<string, string[]>>
}

const ROLE_NOTE: Record<AuthLevel, string> = {
  public: 'Public: no token needed.',
  viewer: 'Requires a token with role **viewer**, operator or admin.',
  operator: 'Requires a token with role **operator** or admin.',
  admin: 'Requires a token with role **admin**.'
}

type Schema = { hide?: boolean, description?: string, response?: Record<string | number, unknown>, security?: unknown }

/** Adds the route's role, security requirement and auth answers to its schema. */
export function documentAuth (route: RouteOptions, level: AuthLevel): void {
  const allStations = route.config?.allStations === true
  const schema = route.schema as Schema | undefined
  if (!schema || schema.hide) return
  // Public routes are not rate-limited (api/auth/bearer-auth.ts).
  const answers: Record<number, unknown> = level === 'public'
    ? {}
    : { 429: ErrorBody.describe('Too many requests from this token (or address, without a token); see Retry-After') }
  if (level !== 'public') answers[401] = AuthErrorBody.describe('No token, or a malformed, unknown, expired or revoked one; or a session cookie that is no longer good (see `reason`)')
  if (level === 'operator' || level === 'admin') answers[403] = ErrorBody.describe(`Valid token, but its role is below ${level}${level === 'admin' ? ', or it is scoped to some stations' : ''}`)
  if (level !== 'public' && allStations) answers[403] = ErrorBody.describe('Valid token, but scoped to some stations: this route covers the whole fleet')
  // A new object: GET and its generated HEAD route may share the schema, and the note must
  // be added once.
  route.schema = {
    ...schema,
    description: [schema.description, ROLE_NOTE[level]].filter(Boolean).join('\n\n'),
    security: level === 'public' ? [] : [{ [BEARER_SCHEME]: [] }, { [SESSION_SCHEME]: [] }],
    ...(schema.response ? { response: { ...answers, ...schema.response } } : {})
  } as RouteOptions['schema']
}
