// A stand-in worker for test/workers-pool.test.ts, forked through node:cluster like
// cluster/workers/worker-main.ts: it speaks the same messages but runs no stack, so the
// supervision (restarts, give-up, stop) is tested in seconds. POOL_WORKER_MODE says what it does.
import { isShutdown, readyMessage } from '../../cluster/workers/messages.ts'

const mode = process.env.POOL_WORKER_MODE
if (mode === 'never-ready') process.exit(3)
process.send!(readyMessage(`fixture-${process.env.WAYSTATION_WORKER ?? '?'}`))
if (mode === 'crash') setTimeout(() => process.exit(1), 50)
process.on('message', (m) => {
  if (!isShutdown(m)) return
  if (mode === 'drain') setTimeout(() => process.exit(0), 100)
  if (mode === 'drain-fail') process.exit(2)
  // 'stuck': ignores the request; the pool must kill it.
})
setInterval(() => {}, 1000) // stays up until told or killed
