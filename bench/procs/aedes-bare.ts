// Baseline (c): the same Aedes version with its defaults and no hooks: no authentication, no
// ACL, no ingest. Its pub→sub rate is the ceiling for any broker built on it on this machine.
// argv: port [guard]  ("guard": wrap sockets in Waystation's packet-size guard, for an A/B)
import { createServer } from 'node:net'
import { guardSocket } from '../../broker/frame-guard.ts'
import { once } from 'node:events'
import { Aedes } from 'aedes'

const port = Number(process.argv[2] ?? 1883)
const aedes = await Aedes.createBroker({ id: 'bench-bare' })
const server = process.argv[3] === 'guard'
  ? createServer((socket) => aedes.handle(guardSocket(socket, 512 * 1024, () => {})))
  : createServer(aedes.handle)
server.listen(port, '127.0.0.1')
await once(server, 'listening')
console.log(`aedes listening on ${port}`)
const close = () => { server.close(); aedes.close(() => process.exit(0)) }
process.once('SIGTERM', close)
process.once('SIGINT', close)
