// Sending a cached answer: already encoded (and compressed once, when the client accepts it),
// so neither the response schema's serializer nor @fastify/compress touches it again
// (the plugin leaves a reply alone that has a Content-Encoding).
import { promisify } from 'node:util'
import { brotliCompress, constants, gzip } from 'node:zlib'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CacheOutcome } from './answer-cache.ts'

export type Encoding = 'br' | 'gzip' | 'identity'
export type CachedAnswer = { body: Buffer, encoding: Encoding, outcome: CacheOutcome }

// Smaller answers are not compressed (as @fastify/compress' default threshold).
export const COMPRESS_MIN_BYTES = 1024

const brotli = promisify(brotliCompress)
const gz = promisify(gzip)

/** br, else gzip, else none, by what Accept-Encoding allows (q=0 refuses); x-no-compression as the plugin. */
export function acceptedEncoding (headers: FastifyRequest['headers']): Encoding {
  if (headers['x-no-compression'] !== undefined) return 'identity'
  const raw = headers['accept-encoding']
  if (typeof raw !== 'string') return 'identity'
  const q = new Map<string, number>()
  for (const part of raw.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';')
    const qp = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)).find(Boolean)
    q.set(name.trim(), qp ? Number(qp[1]) : 1)
  }
  const allowed = (e: string) => (q.get(e) ?? (q.has('*') ? q.get('*')! : 0)) > 0
  return allowed('br') ? 'br' : allowed('gzip') ? 'gzip' : 'identity'
}

/** The body compressed as @fastify/compress would (brotli quality 4, gzip's default level). */
export async function compress (body: Buffer, encoding: Exclude<Encoding, 'identity'>): Promise<Buffer> {
  return encoding === 'br'
    ? await brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength } })
    : await gz(body)
}

export function sendCached (reply: FastifyReply, answer: CachedAnswer, type: string): Buffer {
  reply.header('x-cache', answer.outcome)
  reply.header('vary', [reply.getHeader('vary'), 'Accept-Encoding'].filter(Boolean).join(', '))
  if (answer.encoding !== 'identity') reply.header('content-encoding', answer.encoding)
  reply.type(type)
  return answer.body
}
