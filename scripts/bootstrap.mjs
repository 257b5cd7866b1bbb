// Bootstrap shared by `npm run demo`, `npm test` and `npm start`. Plain JavaScript on purpose:
// on a fresh clone it runs on whatever Node the machine has (Debian's may be 18 or 20), installs
// the locked dependencies (which bring the pinned Node 24 as node_modules/.bin/node) and then
// hands over to Node 24, which runs the TypeScript directly.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, lstatSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'node_modules', '.bin')
const node24 = join(bin, 'node')
// npm writes node_modules/.package-lock.json after every install; when it is older than
// package-lock.json (a pull changed the dependencies), install again.
function upToDate () {
  const hidden = join(root, 'node_modules', '.package-lock.json')
  if (!existsSync(node24) || !existsSync(hidden)) return false
  const lock = join(root, 'package-lock.json')
  return !existsSync(lock) || statSync(hidden).mtimeMs >= statSync(lock).mtimeMs
}

function ensureDependencies () {
  if (upToDate()) return
  // A node_modules that is a symlink (git worktrees sharing one install) must never get an
  // `npm ci`: npm empties the link's target, i.e. everyone's install, and a fresh worktree's
  // package-lock.json is always newer than the shared install's marker. Seen here: it wiped
  // the shared node_modules of every worktree.
  if (lstatSync(join(root, 'node_modules'), { throwIfNoEntry: false })?.isSymbolicLink()) {
    if (existsSync(node24)) return
    console.error('[waystation] node_modules is a symlink without node_modules/.bin/node: install in its target, not here.')
    process.exit(1)
  }
  const args = existsSync(join(root, 'package-lock.json')) ? ['ci'] : ['install']
  console.error(`[waystation] installing dependencies (npm ${args[0]}) …`)
  const res = spawnSync('npm', [...args, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' })
  if (res.status !== 0) {
    console.error(`[waystation] npm ${args[0]} failed (exit ${res.status}). Check network access to the npm registry and retry.`)
    process.exit(res.status ?? 1)
  }
  if (!existsSync(node24)) {
    console.error('[waystation] node_modules/.bin/node is missing after install: the "node" devDependency did not install.')
    process.exit(1)
  }
}

// A young generation large enough that a message's objects die young: they live for one
// InfluxDB round trip (~0.1 s at load), which with the default semi-space outlived two
// scavenges and got promoted, costing old-generation GC. Measured: -6 to -8% CPU per message
// (bench/RESULTS.md). Processes started another way should pass the same flag (README).
export const NODE_FLAGS = ['--max-semi-space-size=32']

function run (file, args) {
  // node_modules/.bin first on PATH, as npm scripts have it, so child tools also get Node 24.
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }
  const child = spawn(node24, [...NODE_FLAGS, file, ...args], { cwd: root, stdio: 'inherit', env })
  // The child gets Ctrl-C from the terminal itself (same process group); forward TERM/HUP
  // from supervisors that signal only us.
  for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig))
  process.on('SIGINT', () => {})
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 1 : 1))))
}

const [command, ...rest] = process.argv.slice(2)
const targets = {
  demo: ['scripts/demo.ts', rest],
  test: ['scripts/test.ts', rest],
  run: [rest[0], rest.slice(1)]
}
if (!targets[command] || !targets[command][0]) {
  console.error('usage: node scripts/bootstrap.mjs demo | test [vitest args] | run <file.ts> [args]')
  process.exit(2)
}
ensureDependencies()
// The API serves the dashboard's build: make sure it exists and matches web/'s sources.
if (command === 'demo' || command === 'test' || (command === 'run' && rest[0] === 'bin/waystation.ts' && rest[1] === 'start')) {
  const { ensureWebBuild } = await import('./web-build.mjs')
  ensureWebBuild()
}
const [file, args] = targets[command]
process.exitCode = await run(join(root, file), args)
