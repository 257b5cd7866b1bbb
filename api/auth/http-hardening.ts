// Response headers and cross-origin policy. The API answers JSON to programs, so the
// defaults are the strictest: a CSP that allows nothing (the docs UI relaxes it for its own
// pages, see publicScope in build-app), and no CORS at all unless origins are configured,
// which leaves browsers' same-origin policy in force.
import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { FastifyPluginAsync } from 'fastify'

export type HttpHardeningOptions = {
  /** Exact origins (`https://dash.example.org`) whose pages may call the API. Empty: none. */
  corsOrigins: string[]
}

const httpHardeningPlugin: FastifyPluginAsync<HttpHardeningOptions> = async (app, { corsOrigins }) => {
  // Registered first so that a preflight is answered before the auth hook: browsers send
  // preflights without the Authorization header.
  if (corsOrigins.length > 0) {
    await app.register(cors, {
      origin: corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH'],
      allowedHeaders: ['authorization', 'content-type'],
      exposedHeaders: ['retry-after', 'www-authenticate', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
      maxAge: 600
    })
  }
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] }
    }
  })
}

export const httpHardening = fp(httpHardeningPlugin, { fastify: '5.x', name: 'waystation-http-hardening' })

/**
 * The docs UI's CSP: @fastify/swagger-ui's own (hashes of its inline script and style) minus
 * `upgrade-insecure-requests`, which would make a browser fetch the UI's assets over HTTPS
 * from an API served over plain HTTP (the demo, a LAN) and leave the page blank.
 */
export const docsCsp = {
  staticCSP: true,
  transformStaticCSP: (header: string) => header.replace(/\s*upgrade-insecure-requests;?/, '')
}
