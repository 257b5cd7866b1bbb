import { describe, expect, test } from 'vitest'
import { createLogger, type LogDestination } from '../platform/logger.ts'

// JSON lines for machines, pretty lines on a terminal; secrets redacted in both.
const capture = (isTTY?: boolean): LogDestination & { lines: string[] } => {
  const lines: string[] = []
  return { lines, write: (s: string) => { lines.push(s) }, ...(isTTY === undefined ? {} : { isTTY }) }
}
const SECRET = 'wst_not_for_the_logs_1234'

describe('createLogger', () => {
  test('writes JSON lines when the destination is not a terminal', () => {
    const out = capture()
    createLogger('info', { destination: out }).child({ component: 'broker' }).info({ port: 1883, token: SECRET }, 'MQTT listener ready')
    expect(out.lines).toHaveLength(1)
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ level: 30, component: 'broker', port: 1883, token: '[redacted]', msg: 'MQTT listener ready' })
  })

  test('writes one human-readable line per record on a terminal', () => {
    const out = capture(true)
    const logger = createLogger('info', { destination: out })
    logger.child({ component: 'broker' }).info({ port: 1883 }, 'MQTT listener ready')
    logger.debug('below the level')
    expect(out.lines).toHaveLength(1)
    const line = out.lines[0]!.replace(/\x1b\[\d+m/g, '')
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: broker: MQTT listener ready \{"port":1883\}\n$/)
  })

  test('redacts secrets in pretty lines too', () => {
    const out = capture(true)
    const logger = createLogger('info', { destination: out, pretty: true })
    logger.info({ token: SECRET, device: { secret: SECRET }, req: { headers: { authorization: `Bearer ${SECRET}` } } }, 'something with secrets')
    logger.info({ INFLUX_PASSWORD: SECRET, REDIS_URL: `redis://u:${SECRET}@h:6379` }, 'config')
    const text = out.lines.join('')
    expect(text).toContain('[redacted]')
    expect(text).not.toContain(SECRET)
  })

  test('pretty: false forces JSON on a terminal', () => {
    const out = capture(true)
    createLogger('info', { destination: out, pretty: false }).info('hello')
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ msg: 'hello' })
  })
})
