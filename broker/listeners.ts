import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { lstat, unlink } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createNetServer, type Server } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { createWebSocketStream, WebSocketServer } from 'ws'
import type { Logger } from '../platform/logger.ts'
import { guardSocket } from './frame-guard.ts'
import { expectProxyHeader } from './proxy-protocol.ts'
import { limitUnsent, type UnsentLimit } from './unsent-guard.ts'

export type ListenerOptions = {
  host: string
  /** Plain MQTT over TCP; null disables it (TLS-only deployments). */
  tcpPort: number | null
  tls: { port: number, certFile: string, keyFile: string, caFile?: string | undefined } | null
  /** MQTT over WebSocket (path /mqtt) for browsers and HTTP-only gateways. */
  wsPort: number | null
  /** MQTT over a Unix domain socket at this path (a TLS terminator on the same host); null: off. */
  socketPath?: string | null | undefined
  /** Require a PROXY protocol header on the TCP and Unix-socket listeners (proxy-protocol.ts). */
  proxyProtocol?: boolean
  maxPacketBytes: number
  unsent: UnsentLimit
}

/** What the listeners report, for metrics. */
export type ListenerEvents = { onOversize (): void, onPause (): void, onStall (): void }

type Handle = (stream: Duplex, req?: IncomingMessage) => unknown
export type Listener = { protocol: 'mqtt' | 'mqtts' | 'ws' | 'unix', port: number, close (): Promise<void> }

// Pending connections the kernel queues for accept(). Node's default, 511, overflows when a
// fleet reconnects at once (10,000 SYNs within a second): the excess SYNs are dropped and
// retried after 1, 3, 7 ... s. The kernel caps it at net.core.somaxconn (4096 by default).
const BACKLOG = 4096

async function listen (server: Server, port: number, host: string): Promise<number> {
  server.listen({ port, host, backlog: BACKLOG })
  await once(server, 'listening')
  const address = server.address()
  return typeof address === 'object' && address ? address.port : port
}

// A proxy sends its header at once; a client that has not within this long is not a proxy.
const PROXY_HEADER_TIMEOUT_MS = 5_000

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()))

/**
 * Starts the configured listeners. Every connection passes the packet-size guard on the way in
 * and the unsent-output bound on the way out (unsent-guard.ts) before Aedes sees it.
 */
export async function startListeners (handle: Handle, opts: ListenerOptions, logger: Logger, events: ListenerEvents): Promise<Listener[]> {
  // Shared by every connection: no closures per connection beyond the guards' own.
  const addressOf = (socket: Duplex) => (socket as { remoteAddress?: string }).remoteAddress
  const unsentEvents = {
    onPause: (socket: Duplex) => {
      events.onPause()
      logger.debug({ ip: addressOf(socket), unsent: socket.writableLength }, 'client does not read its acknowledgements; reading paused')
    },
    onStall: (socket: Duplex) => {
      events.onStall()
      logger.warn({ ip: addressOf(socket), unsent: socket.writableLength, timeoutMs: opts.unsent.timeoutMs }, 'client did not read its acknowledgements in time; connection closed')
    }
  }
  const guarded = (socket: Duplex & { remoteAddress?: string }, req?: IncomingMessage, proxied = false) => {
    const stream = guardSocket(socket, opts.maxPacketBytes, (reason) => {
      events.onOversize()
      logger.warn({ ip: socket.remoteAddress ?? req?.socket.remoteAddress, reason }, 'connection closed: packet too large')
    })
    // After the packet-size guard, so the header is taken off before the guard counts frames.
    if (proxied) expectProxyHeader(socket, PROXY_HEADER_TIMEOUT_MS, (reason) => logger.warn({ ip: socket.remoteAddress, reason }, 'connection refused: PROXY protocol header required'))
    handle(limitUnsent(stream, opts.unsent, unsentEvents), req)
  }
  const proxied = opts.proxyProtocol === true
  const listeners: Listener[] = []
  try {
    if (opts.tcpPort !== null) {
      const server = createNetServer((socket) => guarded(socket, undefined, proxied))
      const port = await listen(server, opts.tcpPort, opts.host)
      listeners.push({ protocol: 'mqtt', port, close: () => closeServer(server) })
    }
    if (opts.socketPath) {
      const path = opts.socketPath
      // A socket file left by a killed broker would make listen() fail with EADDRINUSE.
      if ((await lstat(path).catch(() => null))?.isSocket()) await unlink(path)
      const server = createNetServer((socket) => guarded(socket, undefined, proxied))
      server.listen(path)
      await once(server, 'listening')
      listeners.push({ protocol: 'unix', port: 0, close: () => closeServer(server) })
    }
    if (opts.tls) {
      const server = createTlsServer({
        cert: readFileSync(opts.tls.certFile),
        key: readFileSync(opts.tls.keyFile),
        ...(opts.tls.caFile ? { ca: readFileSync(opts.tls.caFile) } : {}),
        minVersion: 'TLSv1.2'
      }, (socket) => guarded(socket))
      server.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'TLS handshake failed'))
      const port = await listen(server, opts.tls.port, opts.host)
      listeners.push({ protocol: 'mqtts', port, close: () => closeServer(server) })
    }
    if (opts.wsPort !== null) {
      const http = createHttpServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect to /mqtt\n'))
      // The `mqtt` subprotocol is what MQTT.js and browser clients ask for [MQTT-6.0.0-3].
      const wss = new WebSocketServer({ server: http, path: '/mqtt', maxPayload: opts.maxPacketBytes + 8, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false) })
      wss.on('connection', (ws, req) => guarded(Object.assign(createWebSocketStream(ws), { remoteAddress: req.socket.remoteAddress }), req))
      const port = await listen(http, opts.wsPort, opts.host)
      listeners.push({
        protocol: 'ws',
        port,
        close: async () => {
          for (const client of wss.clients) client.terminate()
          await new Promise<void>((resolve) => wss.close(() => resolve()))
          await closeServer(http)
        }
      })
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()))
    throw err
  }
  for (const l of listeners) logger.info(l.protocol === 'unix' ? { protocol: l.protocol, path: opts.socketPath } : { protocol: l.protocol, host: opts.host, port: l.port }, 'MQTT listener ready')
  return listeners
}
