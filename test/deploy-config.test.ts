// The deployment files (docker-compose.yml's cluster profile, deploy/haproxy.cfg,
// deploy/nginx-stream.conf) held to the code, so that a renamed route, port or variable cannot
// leave them silently wrong: node environments go through the real config parser, the health
// checks are sent to a real stack, and haproxy / nginx check their own syntax where installed.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { once } from 'node:events'
import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectPacket } from '../api/broker-probe.ts'
import { loadConfig, type Config } from '../platform/config.ts'
import { createAdmin } from '../registry/admin.ts'
import { connectDevice } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

const ROOT = resolve(import.meta.dirname, '..')
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8')

type Service = { profiles?: string[], environment?: Record<string, string | number>, ports?: string[], volumes?: string[], healthcheck?: { test: string[] } }
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> }
const inCluster = (s: Service) => s.profiles === undefined || s.profiles.includes('cluster')
const nodes = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('cluster') && s.environment?.BROKER_ID !== undefined)
const nodeConfig = (s: Service): Config => loadConfig(Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)])))

/** haproxy.cfg as sections ("frontend mqtt") of directive lines, comments dropped. */
function haproxySections (text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>()
  let current: string[] = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trimEnd()
    if (line.trim() === '') continue
    if (!/^\s/.test(line)) sections.set(line.trim(), current = [])
    else current.push(line.trim())
  }
  return sections
}
const haproxy = haproxySections(read('deploy/haproxy.cfg'))
const section = (name: string) => {
  const s = haproxy.get(name)
  if (!s) throw new Error(`deploy/haproxy.cfg has no "${name}" section`)
  return s
}
const directive = (name: string, key: string) => section(name).filter((l) => l === key || l.startsWith(`${key} `)).map((l) => l.slice(key.length).trim())
const servers = (backend: string) => directive(backend, 'server').map((l) => {
  const [name, address, ...opts] = l.split(/\s+/)
  const [host, port] = address!.split(':')
  return { name: name!, host: host!, port: Number(port), opts }
})
/** HAProxy / nginx durations ("5m", "2m", "1h", "15s", bare = ms for HAProxy) in ms. */
function ms (value: string, bare: 'ms' | 's' = 'ms'): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(value.trim())
  if (!m) throw new Error(`not a duration: ${value}`)
  const unit = m[2] ?? bare
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!
}

const nginx = read('deploy/nginx-stream.conf').replace(/#.*$/gm, '')
/** The body of the first `{ … }` block that starts with `head`. */
function block (text: string, head: RegExp): string {
  const m = head.exec(text)
  if (!m) throw new Error(`deploy/nginx-stream.conf has no block ${head}`)
  const open = m.index + m[0].length - 1 // `head` ends with the block's own `{`
  let depth = 0
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i)
  }
  throw new Error(`unbalanced block ${head}`)
}
const nginxValue = (body: string, key: string) => new RegExp(`(?:^|\\n)\\s*${key}\\s+([^;]+);`).exec(body)?.[1]?.trim()

const DEVICE_KEEPALIVE_S = 60 // simulators/fleet.ts and the benchmarks: MQTT keep-alive of a device

describe('docker-compose.yml, profile "cluster"', () => {
  it('runs at least two nodes whose environments the config parser accepts, in cluster mode with distinct broker ids', () => {
    expect(nodes.length).toBeGreaterThanOrEqual(2)
    const configs = nodes.map(([, s]) => nodeConfig(s))
    expect(new Set(configs.map((c) => c.BROKER_ID)).size).toBe(nodes.length)
    for (const c of configs) {
      expect(c.CLUSTER).toBe('redis')
      // Their dependencies are services of the same profile, reached by service name.
      const redis = new URL(c.REDIS_URL!)
      expect(inCluster(compose.services[redis.hostname]!)).toBe(true)
      expect(Number(redis.port || 6379)).toBe(6379)
      expect(compose.services[new URL(c.INFLUX_URL).hostname]).toBeDefined()
      // One registry for every node: PostgreSQL, a service of the same profile.
      const registry = new URL(c.REGISTRY_URL!)
      expect(inCluster(compose.services[registry.hostname]!)).toBe(true)
      expect(compose.services[registry.hostname]!.environment?.POSTGRES_DB).toBe(registry.pathname.slice(1))
      // Behind the proxy: client addresses from X-Forwarded-For (HTTP) and the PROXY header (MQTT),
      // so the per-address limits see devices, not the proxy.
      expect(c.API_TRUST_PROXY).not.toBe(false)
      expect(c.MQTT_PROXY_PROTOCOL).toBe('on')
    }
  })

  it('gives the nodes one data directory (the credential key): one named volume at DATA_DIR', () => {
    const mounts = nodes.map(([, s]) => (s.volumes ?? []).find((v) => v.endsWith(`:${nodeConfig(s).DATA_DIR}`)))
    expect(mounts.every((m) => m !== undefined && !m.startsWith('.'))).toBe(true)
    expect(new Set(mounts).size).toBe(1)
  })

  it("checks each node's health on its own API port and the health route HAProxy uses", () => {
    const path = directive('backend waystation_http', 'http-check send')[0]!.match(/uri (\S+)/)![1]
    for (const [, s] of nodes) {
      const url = /fetch\('([^']+)'\)/.exec(s.healthcheck!.test.join(' '))![1]!
      expect(new URL(url).port).toBe(String(nodeConfig(s).API_PORT))
      expect(new URL(url).pathname).toBe(path)
    }
  })

  it('publishes on HAProxy exactly the ports its frontends bind, with deploy/haproxy.cfg mounted', () => {
    const proxy = compose.services.haproxy!
    expect(proxy.volumes).toContain('./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro')
    const published = (proxy.ports ?? []).map((p) => Number(p.split(':').at(-1))).sort()
    const bound = ['frontend mqtt', 'frontend http'].map((f) => Number(directive(f, 'bind')[0]!.split(':').at(-1))).sort()
    expect(published).toEqual(bound)
  })
})

describe('deploy/haproxy.cfg', () => {
  it("sends MQTT and HTTP to every node's configured ports, no more connections than a node accepts", () => {
    const byName = new Map(nodes.map(([name, s]) => [name, nodeConfig(s)]))
    for (const [backend, port] of [['backend waystation_mqtt', (c: Config) => c.MQTT_PORT], ['backend waystation_http', (c: Config) => c.API_PORT]] as const) {
      const list = servers(backend)
      expect(list.map((s) => s.host).sort()).toEqual([...byName.keys()].sort())
      for (const s of list) expect(s.port).toBe(port(byName.get(s.host)!))
    }
    for (const s of servers('backend waystation_mqtt')) {
      const maxconn = Number(s.opts[s.opts.indexOf('maxconn') + 1])
      expect(maxconn).toBeLessThanOrEqual(byName.get(s.host)!.MQTT_MAX_CONNECTIONS)
      expect(s.opts).toContain('check')
    }
  })

  it('balances MQTT by connection count and keeps idle devices longer than 1.5 × their keep-alive', () => {
    expect(directive('backend waystation_mqtt', 'balance')).toEqual(['leastconn'])
    expect(ms(directive('frontend mqtt', 'timeout client')[0]!)).toBeGreaterThan(1.5 * DEVICE_KEEPALIVE_S * 1000)
    expect(ms(directive('backend waystation_mqtt', 'timeout server')[0]!)).toBeGreaterThan(1.5 * DEVICE_KEEPALIVE_S * 1000)
  })

  it('keeps SSE streams open across heartbeats and replaces X-Forwarded-For', () => {
    const heartbeatMs = loadConfig({}).LIVE_HEARTBEAT_S * 1000
    expect(ms(directive('frontend http', 'timeout client')[0]!)).toBeGreaterThan(2 * heartbeatMs)
    expect(ms(directive('backend waystation_http', 'timeout server')[0]!)).toBeGreaterThan(2 * heartbeatMs)
    expect(section('frontend http')).toContain('http-request del-header X-Forwarded-For')
    expect(section('frontend http')).toContain('option forwardfor')
  })

  it("checks MQTT with the broker probe's own CONNECT packet", () => {
    expect(directive('backend waystation_mqtt', 'tcp-check send-binary')).toEqual([connectPacket('haproxy-check').toString('hex')])
  })

  it.skipIf(spawnSync('haproxy', ['-v']).error !== undefined)('passes `haproxy -c` (only the compose service names may be unresolvable here)', () => {
    const out = spawnSync('haproxy', ['-c', '-f', join(ROOT, 'deploy/haproxy.cfg')], { encoding: 'utf8' })
    expect(out.status, out.stderr).toBe(0)
    const warnings = out.stderr.split('\n').filter((l) => l.includes('[WARNING]') && !/could not resolve address '(node-[a-z])'/.test(l))
    expect(warnings).toEqual([])
  })
})

describe('deploy/nginx-stream.conf', () => {
  // The header names the example nodes' settings; the upstreams must point at them.
  const header = read('deploy/nginx-stream.conf').split('\n').filter((l) => /^#\s+node-[a-z]:/.test(l))
  const exampleNodes = header.flatMap((l) => [...l.matchAll(/(node-[a-z]): ((?:[A-Z_]+=\S+\s*)+)/g)].map((m) => loadConfig(Object.fromEntries(m[2]!.trim().split(/\s+/).map((kv) => kv.split('=') as [string, string])))))

  it('balances MQTT by connection count to the example nodes, idle timeout above 1.5 × keep-alive', () => {
    expect(exampleNodes.length).toBe(2)
    const upstream = block(nginx, /upstream waystation_mqtt\s*\{/)
    expect(upstream).toMatch(/\bleast_conn;/)
    expect([...upstream.matchAll(/server 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]))).toEqual(exampleNodes.map((c) => c.MQTT_PORT))
    const server = block(nginx, /stream\s*\{[\s\S]*?server\s*\{/)
    expect(ms(nginxValue(server, 'proxy_timeout')!, 's')).toBeGreaterThan(1.5 * DEVICE_KEEPALIVE_S * 1000)
  })

  it('proxies HTTP to the example nodes, SSE unbuffered with a read timeout above the heartbeat', () => {
    const upstream = block(nginx, /upstream waystation_http\s*\{/)
    expect([...upstream.matchAll(/server 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]))).toEqual(exampleNodes.map((c) => c.API_PORT))
    const sse = block(nginx, /location = \/live\/stream\s*\{/)
    expect(nginxValue(sse, 'proxy_buffering')).toBe('off')
    expect(ms(nginxValue(sse, 'proxy_read_timeout')!, 's')).toBeGreaterThan(2 * loadConfig({}).LIVE_HEARTBEAT_S * 1000)
    expect(nginxValue(sse, 'proxy_set_header X-Forwarded-For')).toBe('$proxy_add_x_forwarded_for')
  })

  // The file loads Debian's dynamic stream module (package libnginx-mod-stream).
  it.skipIf(spawnSync('nginx', ['-v']).error !== undefined || !existsSync('/usr/lib/nginx/modules/ngx_stream_module.so'))('passes `nginx -t`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'waystation-nginx-'))
    try {
      const out = spawnSync('nginx', ['-t', '-c', join(ROOT, 'deploy/nginx-stream.conf'), '-p', dir, '-e', join(dir, 'error.log'), '-g', `pid ${join(dir, 'nginx.pid')};`], { encoding: 'utf8' })
      expect(out.status, out.stderr).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the health checks against a running stack', () => {
  let stack: TestStack
  const failures = 3
  beforeAll(async () => {
    // A low lockout threshold: the MQTT check must never count as a failed login.
    stack = await startTestStack({ MQTT_AUTH_MAX_FAILURES: String(failures), MQTT_AUTH_LOCKOUT_MS: '60000' })
  })
  afterAll(async () => { await stack?.stop() })

  it("HAProxy's HTTP check is answered 200 without a token; nginx's SSE location is a route", async () => {
    const path = directive('backend waystation_http', 'http-check send')[0]!.match(/uri (\S+)/)![1]!
    const expected = Number(directive('backend waystation_http', 'http-check expect')[0]!.match(/^status (\d+)$/)![1])
    const res = await stack.app.inject({ url: path })
    expect(res.statusCode, res.body).toBe(expected)
    // Without a token: 401 (the route exists and wants one), not 404.
    expect((await stack.app.inject({ url: '/live/stream' })).statusCode).toBe(401)
  })

  it("HAProxy's MQTT check gets a CONNACK, again and again, and locks no device out", async () => {
    const send = Buffer.from(directive('backend waystation_mqtt', 'tcp-check send-binary')[0]!, 'hex')
    const expectBytes = Buffer.from(directive('backend waystation_mqtt', 'tcp-check expect')[0]!.replace(/^binary /, ''), 'hex')
    const { port } = new URL(stack.mqttUrl)
    for (let i = 0; i < failures + 2; i++) {
      const socket: Socket = connect({ host: '127.0.0.1', port: Number(port) })
      await once(socket, 'connect')
      socket.write(send)
      const [answer] = await once(socket, 'data') as [Buffer]
      socket.destroy()
      expect(answer.subarray(0, expectBytes.length).equals(expectBytes), answer.toString('hex')).toBe(true)
    }
    // A device from the same address still gets in.
    const admin = createAdmin(stack.registry)
    await admin.addStation('test', { id: 'deploy-1', name: 'Deploy check' })
    const { secret } = await admin.addDevice('test', 'deploy-1', 'deploy-1-door', 'door')
    const device = await connectDevice(stack.mqttUrl, 'deploy-1-door', secret)
    expect(device.connected).toBe(true)
    device.end(true)
  })
})
