// The API served by every worker of `waystation start --workers 2` on the shared port: each
// request below goes on a new connection, which the primary hands to the workers in turn, so
// consecutive requests land on different workers. A session made on one is valid on the other,
// and the rate limit is one allowance across both (Redis), not one per worker.
import { request } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, expect, inject, test } from 'vitest'
import { openRegistry } from '../registry/open-registry.ts'
import { mintToken } from './support/api-tokens.ts'
import { createWorkersProcess } from './support/workers-process.ts'

const LIMIT = 6
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One request on a connection of its own (no keep-alive agent). */
function call (url: string, opts: { method?: string, headers?: Record<string, string>, body?: string } = {}) {
  return new Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: string }>((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', agent: false, headers: { connection: 'close', ...(opts.body ? { 'content-type': 'application/json' } : {}), ...opts.headers } }, (res) => {
      let body = ''
      res.on('data', (c) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

let dir: string
let token: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-workers-api-'))
  const registry = openRegistry(join(dir, 'registry.sqlite'))
  token = await mintToken(registry, 'viewer')
  registry.close()
}, 60_000)
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

test('--workers 2: a session and the rate limit hold across workers', { timeout: 300_000 }, async () => {
  const stack = await createWorkersProcess(2, {
    DATA_DIR: dir,
    REGISTRY_PATH: join(dir, 'registry.sqlite'),
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DB: `workers_api_${randomBytes(4).toString('hex')}`,
    API_RATE_LIMIT_MAX: String(LIMIT),
    API_RATE_LIMIT_WINDOW_MS: '600000'
  })
  try {
    for (let end = Date.now() + 180_000; Date.now() < end && stack.alive();) {
      if (stack.find((l) => l.msg === 'all workers ready').length > 0) break
      await sleep(200)
    }
    expect(stack.find((l) => l.msg === 'all workers ready')).toHaveLength(1)

    // Signed in on one worker; the next requests alternate between both.
    const signIn = await call(`${stack.apiUrl}/session`, { method: 'POST', body: JSON.stringify({ token }) })
    expect(signIn.status).toBe(200)
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!
    for (let k = 0; k < 4; k++) expect((await call(`${stack.apiUrl}/session`, { headers: { cookie } })).status, `request ${k}`).toBe(200)

    // One allowance of LIMIT for the token across both workers: per-worker counting would let
    // about 2 × LIMIT through.
    const statuses: number[] = []
    for (let k = 0; k < LIMIT + 3; k++) statuses.push((await call(`${stack.apiUrl}/stations`, { headers: { authorization: `Bearer ${token}` } })).status)
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(LIMIT)
    expect(statuses.slice(-2)).toEqual([429, 429])
    // Both workers did answer: Fastify logs each incoming request, with the worker's name.
    const served = (url: string) => new Set(stack.find((l) => l.msg === 'incoming request' && (l.req as { url?: string } | undefined)?.url === url).map((l) => l.worker))
    expect([...served('/session')].sort()).toEqual(['w1', 'w2'])
    expect([...served('/stations')].sort()).toEqual(['w1', 'w2'])
  } finally {
    await stack.stop('SIGTERM')
  }
})
