// A child process for the lease tests: competes for one lease on a real Redis and, while it
// holds it, runs a job that counts its ticks in Redis. Prints `acquired <fence>` and
// `stopped <reason>` on stdout for the test to follow. Usage: lease-holder.ts <redisUrl> <name> <ttlMs>
import { Redis } from 'ioredis'
import { runLeased } from '../../cluster/run-leased.ts'
import { createLogger } from '../../platform/logger.ts'

const [url, name, ttl] = process.argv.slice(2)
const redis = new Redis(url!, { maxRetriesPerRequest: 1 })
const holder = `holder-${process.pid}`
const leased = runLeased({
  redis,
  name: name!,
  holder,
  ttlMs: Number(ttl),
  logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  start: (fence) => {
    console.log(`acquired ${fence}`)
    const timer = setInterval(() => { void redis.incr(`test:ticks:${name}:${holder}`) }, 20)
    return { close: async () => { clearInterval(timer); console.log('stopped') } }
  }
})
console.log(`ready ${holder}`)
process.once('SIGTERM', () => {
  void leased.close().then(() => redis.quit()).then(() => process.exit(0))
})
