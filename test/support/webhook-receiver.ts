import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createHmac, timingSafeEqual } from 'node:crypto'

export type Received = { key: string, body: Record<string, unknown>, raw: string, signature: string, at: number }

/**
 * A real HTTP webhook receiver for tests. `plan` decides each answer in turn (a status, or
 * 'hang' to never answer; past its end: 200). Like a real receiver it de-duplicates by
 * Idempotency-Key: `unique()` has one entry per key, `all` every request.
 */
export async function startReceiver (opts: { plan?: Array<number | 'hang'>, secret?: () => string } = {}) {
  const plan = [...(opts.plan ?? [])]
  const all: Received[] = []
  const byKey = new Map<string, Received>()
  const hanging = new Set<ServerResponse>()
  let badSignatures = 0
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const key = String(req.headers['idempotency-key'] ?? '')
      const signature = String(req.headers['x-waystation-signature'] ?? '')
      if (opts.secret) {
        const want = Buffer.from(`sha256=${createHmac('sha256', opts.secret()).update(raw).digest('hex')}`)
        const got = Buffer.from(signature)
        if (want.length !== got.length || !timingSafeEqual(want, got)) badSignatures++
      }
      const step = plan.shift() ?? 200
      const r: Received = { key, body: JSON.parse(raw) as Record<string, unknown>, raw, signature, at: Date.now() }
      all.push(r)
      if (step === 'hang') { hanging.add(res); return }
      if (step >= 200 && step < 300 && !byKey.has(key)) byKey.set(key, r)
      res.writeHead(step, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}/hook`,
    all,
    /** What the receiver accepted, one per Idempotency-Key. */
    unique: () => [...byKey.values()],
    badSignatures: () => badSignatures,
    plan,
    async close (): Promise<void> {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>
