import { createServer } from 'node:http'
import { once } from 'node:events'
import type { Registry } from 'prom-client'

/**
 * A bare /metrics listener for a process without the API (`waystation broker`), so its
 * ingest and broker metrics can be scraped too. Like the API's /metrics it wants a bearer
 * token (any role) unless `authorize` is null (METRICS_PUBLIC=true).
 */
export async function startMetricsServer (registry: Registry, host: string, port: number, authorize: ((bearer: string) => Promise<boolean>) | null) {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
    const allowed = authorize === null ? Promise.resolve(true) : bearer === undefined ? Promise.resolve(false) : authorize(bearer)
    allowed.then((ok) => {
      if (!ok) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="waystation"' }).end('a valid API token is required\n')
        return
      }
      return registry.metrics()
    }).then((body) => {
      if (body === undefined) return
      res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(body)
    }, (err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`)
    })
  })
  server.listen(port, host)
  await once(server, 'listening')
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
