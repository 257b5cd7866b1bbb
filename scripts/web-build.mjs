// Builds the dashboard (web/ -> web/dist) with Vite. `node scripts/web-build.mjs` always
// builds (`npm run build`); with --if-stale only when the build is missing or older than any
// of its inputs (bootstrap.mjs calls it before `npm start`, `npm run demo` and `npm test`).
// Staleness: the newest mtime of web/ (sources, index.html, vite.config.ts) and
// package-lock.json against web/dist/.build-stamp, written after a successful build.
// Plain JavaScript, like bootstrap.mjs: it may be started by an old system Node.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const web = join(root, 'web')
const dist = join(web, 'dist')
const stamp = join(dist, '.build-stamp')

function newestMtime (path) {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = st.mtimeMs
  for (const entry of readdirSync(path)) {
    if (path === web && (entry === 'dist' || entry === 'node_modules')) continue
    newest = Math.max(newest, newestMtime(join(path, entry)))
  }
  return newest
}

export function webBuildIsStale () {
  if (!existsSync(stamp) || !existsSync(join(dist, 'index.html'))) return true
  const built = statSync(stamp).mtimeMs
  const lock = join(root, 'package-lock.json')
  return newestMtime(web) > built || (existsSync(lock) && statSync(lock).mtimeMs > built)
}

/** Returns the exit status of the build (0: built). */
export function buildWeb () {
  const node24 = join(root, 'node_modules', '.bin', 'node')
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js')
  console.error('[waystation] building the dashboard (vite build web/) …')
  const env = { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` }
  const res = spawnSync(existsSync(node24) ? node24 : process.execPath, [vite, 'build', '--config', join(web, 'vite.config.ts'), '--logLevel', 'warn'], { cwd: root, stdio: 'inherit', env })
  if (res.status === 0) writeFileSync(stamp, `${new Date().toISOString()}\n`)
  return res.status ?? 1
}

/** Builds when stale; a failed build is reported, not fatal: the API still answers / with a hint. */
export function ensureWebBuild () {
  if (!webBuildIsStale()) return 0
  const status = buildWeb()
  if (status !== 0) console.error(`[waystation] the dashboard build failed (exit ${status}); the API serves / with a "not built" page. Run npm run build to see why.`)
  return status
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = process.argv.includes('--if-stale') ? ensureWebBuild() : buildWeb()
}
