import { createServer } from 'node:http'
import { once } from 'node:events'
import type { Registry } from 'prom-client'

/**
 * A bare /metrics listener for a process without the API (`waystation broker`), so its
 * ingest and broker metrics can be scraped too.
 */
export async function startMetricsServer (registry: Registry, host: string, port: number) {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    registry.metrics().then((body) => {
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
