// What the primary and a worker tell each other over the cluster IPC channel.
const READY = 'waystation:worker-ready'
const SHUTDOWN = 'waystation:worker-shutdown'

/** Worker → primary, once its stack is up and listening. */
export const readyMessage = (brokerId: string) => ({ type: READY, brokerId })
/** Primary → worker: drain and exit (what SIGTERM does to a single process). */
export const shutdownMessage = (reason: string) => ({ type: SHUTDOWN, reason })

const typed = (m: unknown, type: string): boolean => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type
export const isReady = (m: unknown): m is ReturnType<typeof readyMessage> => typed(m, READY)
export const isShutdown = (m: unknown): m is ReturnType<typeof shutdownMessage> => typed(m, SHUTDOWN)
