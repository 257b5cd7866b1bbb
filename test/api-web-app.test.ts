// The API serves the built dashboard at / without a token: index.html never cached and with
// the app's CSP (own origin only, no inline script, no eval), hashed assets cached for a
// year, and a page that says to run `npm run build` when there is no build.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'

const registry = openRegistry(':memory:')
const ok = async () => ({ ok: true })
const dirs: string[] = []
const apps: Array<ReturnType<typeof buildApp>> = []

function app (webRoot: string | null) {
  const a = buildApp({ registry, influx: createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'x' }), logger: createLogger('silent'), probes: { influx: ok, broker: ok }, webRoot })
  apps.push(a)
  return a
}

function build (): string {
  const dir = mkdtempSync(join(tmpdir(), 'ws-web-'))
  dirs.push(dir)
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>')
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)')
  return dir
}

afterAll(async () => {
  for (const a of apps) await a.close()
  registry.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('web app', () => {
  it('serves index.html at / without a token, uncached, with the app CSP', async () => {
    const res = await app(build()).inject({ url: '/' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.body).toContain('/assets/index-abc123.js')
    expect(res.headers['cache-control']).toBe('no-cache')
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/)
  })

  it('serves hashed assets without a token, cached for a year; unknown assets are 404', async () => {
    const a = app(build())
    const res = await a.inject({ url: '/assets/index-abc123.js' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/javascript/)
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    const missing = await a.inject({ url: '/assets/nope.js' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toMatchObject({ statusCode: 404 })
  })

  it('finds a build made after the API started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ws-web-'))
    dirs.push(dir)
    const a = app(dir)
    expect((await a.inject({ url: '/' })).statusCode).toBe(503)
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>built</title>')
    writeFileSync(join(dir, 'assets', 'late.js'), '1')
    expect((await a.inject({ url: '/' })).body).toContain('built')
    expect((await a.inject({ url: '/assets/late.js' })).statusCode).toBe(200)
  })

  it('says to run npm run build when there is no build', async () => {
    const res = await app(join(tmpdir(), 'ws-web-does-not-exist')).inject({ url: '/' })
    expect(res.statusCode).toBe(503)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.body).toContain('npm run build')
  })

  it('still requires a token for the API, and webRoot null serves nothing at /', async () => {
    const a = app(build())
    expect((await a.inject({ url: '/stations' })).statusCode).toBe(401)
    expect((await app(null).inject({ url: '/' })).statusCode).toBe(404)
  })
})
