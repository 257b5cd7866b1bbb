// Serves the built dashboard (web/, built by `npm run build` into web/dist) from the API's
// own origin, without a token: the page and its hashed assets are public, the data behind
// them is not. index.html is never cached (a new build must reach browsers at once) and
// carries the app's CSP: everything from this origin only, no inline script, no eval. The
// assets' names change with their content, so they are cached for a year.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { publicScope } from './auth/public-scope.ts'
import { tileOrigins, type MapTiles } from './web-config.ts'

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../web/dist', import.meta.url))

export type WebAppOptions = {
  /** The build's folder (index.html and assets/). */
  root: string
  /** The map's tile server, whose origins the CSP lets images come from; null: none. */
  mapTiles?: MapTiles | null
}

// ECharts and Vue set element styles through the CSSOM, which style-src does not govern;
// every script and stylesheet is a file of this origin.
export const APP_CSP = appCsp([])

/** The app's CSP; `imgOrigins`: the map tile server's origins (WEB_MAP_TILE_URL), if any. */
export function appCsp (imgOrigins: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self' data:", ...imgOrigins].join(' '),
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'"
  ].join('; ')
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Waystation: dashboard not built</title></head>
<body><h1>The dashboard is not built</h1>
<p>Run <code>npm run build</code> in the Waystation checkout, then reload this page.
(<code>npm start</code>, <code>npm run demo</code> and <code>npm test</code> build it when it is missing.)</p>
<p>The API itself works: see <a href="/docs">/docs</a>.</p></body></html>
`

export const webApp: FastifyPluginAsync<WebAppOptions> = async (app, { root, mapTiles }) => {
  const csp = appCsp(tileOrigins(mapTiles ?? null))
  // Read per request (it is 1 kB): a rebuild while the API runs is served at once.
  app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache')
    reply.header('content-security-policy', csp)
    let html: string
    try {
      html = await readFile(join(root, 'index.html'), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT)
    }
    return reply.type('text/html; charset=utf-8').send(html)
  })

  await app.register(publicScope(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    // A wildcard route looks the file up on each request, so a later build's assets are found.
    wildcard: true,
    index: false,
    decorateReply: false,
    maxAge: '365d',
    immutable: true,
    // web/vite.config.ts writes a .br and a .gz next to each script and stylesheet: served
    // as they are to a browser that accepts them, nothing compressed per request.
    preCompressed: true
  }))
}
