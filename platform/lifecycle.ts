import type { Logger } from './logger.ts'

type Closer = { name: string, close: () => Promise<void> }

/**
 * Components register as they start; shutdown closes them in reverse start order (stop
 * accepting, finish in-flight work, flush, close). A second signal, or the grace period
 * running out, exits at once with a non-zero code.
 */
export function createLifecycle (logger: Logger, graceMs: number) {
  const closers: Closer[] = []
  let shuttingDown: Promise<void> | null = null

  function add (name: string, close: () => Promise<void>): void {
    closers.push({ name, close })
  }

  function shutdown (reason: string): Promise<void> {
    if (shuttingDown) return shuttingDown
    logger.info({ reason }, 'shutting down')
    shuttingDown = (async () => {
      for (const c of closers.splice(0).reverse()) {
        try {
          await c.close()
          logger.debug({ component: c.name }, 'closed')
        } catch (err) {
          logger.error({ component: c.name, err: (err as Error).message }, 'error while closing')
        }
      }
      logger.info('stopped')
    })()
    return shuttingDown
  }

  function handleSignals (): void {
    let firstSignalAt = 0
    const onSignal = (signal: NodeJS.Signals) => {
      // The same signal often arrives twice at once (from the terminal's process group and
      // from a wrapper forwarding it): only a deliberate second one, later, forces the exit.
      if (shuttingDown && Date.now() - firstSignalAt < 1000) return
      if (shuttingDown) {
        logger.warn({ signal }, 'second signal: exiting now')
        process.exit(130)
      }
      firstSignalAt = Date.now()
      const force = setTimeout(() => {
        logger.error({ graceMs }, 'shutdown grace period exceeded: exiting')
        process.exit(1)
      }, graceMs + 5000)
      force.unref()
      void shutdown(signal).then(() => process.exit(0))
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }

  return { add, shutdown, handleSignals }
}

export type Lifecycle = ReturnType<typeof createLifecycle>
