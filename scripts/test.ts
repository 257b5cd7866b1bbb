// `npm test`: typecheck, then the whole vitest suite (unit + integration against a real Aedes
// broker and a real influxd that test/global-setup.ts starts on free ports). Extra arguments go
// to vitest, e.g. `npm test -- test/ingest-e2e.test.ts`.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name: string) => join(root, 'node_modules', '.bin', name)
const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1

console.error('[waystation] typecheck: tsc --noEmit')
const tsc = run(bin('tsc'), ['--noEmit', '-p', '.'])
if (tsc !== 0) process.exit(tsc)
console.error('[waystation] typecheck: vue-tsc (web/)')
const vueTsc = run(bin('node'), [join(root, 'scripts', 'web-typecheck.mjs')])
if (vueTsc !== 0) process.exit(vueTsc)

process.exit(run(bin('vitest'), ['run', ...process.argv.slice(2)]))
