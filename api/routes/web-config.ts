// GET /web-config (public): the dashboard's deployment settings, read by the web app at start
// (web/src/map/tile-config.ts). Nothing secret: a tile URL is requested by every browser
// that shows the map anyway.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { WebConfig, type MapTiles } from '../web-config.ts'

export type WebConfigRouteOptions = { mapTiles: MapTiles | null }

export const webConfigRoute: FastifyPluginAsyncZod<WebConfigRouteOptions> = async (app, { mapTiles }) => {
  const body: WebConfig = { map: { tiles: mapTiles } }
  app.get('/web-config', {
    config: { auth: 'public' },
    schema: {
      summary: 'Dashboard settings',
      description: 'What the web app needs before sign-in: the map\'s tile layer (WEB_MAP_TILE_URL and friends), or null ' +
        'when the map is drawn without tiles.',
      tags: ['dashboard'],
      response: {
        200: WebConfig.meta({
          example: {
            map: {
              tiles: {
                url: 'https://tiles.example.org/{z}/{x}/{y}.png', subdomains: [], datum: 'wgs84',
                attribution: '© OpenStreetMap contributors', maxZoom: 18
              }
            }
          }
        })
      }
    }
  }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache')
    return body
  })
}
