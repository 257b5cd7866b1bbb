// Finds (installing on Debian when we are root) and launches the Chromium that the browser
// tests and the dashboard benchmark drive through playwright-core, and the CJK fonts it needs:
// without fonts-noto-cjk every Chinese character renders as a tofu box, in screenshots and on
// a kiosk.
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { aptInstall, findExecutable, isExecutable, manualInstallError, run, type Log } from './system.ts'

const WHAT = 'Chromium with CJK fonts (for the browser tests)'
const MANUAL_HINT = '  - Debian/Ubuntu: sudo apt-get install chromium fonts-noto-cjk\n' +
  '  - or set CHROMIUM_PATH to a Chromium/Chrome binary, and install a CJK font (Noto Sans CJK SC)'
// Where Debian's fonts-noto-cjk puts the sans faces; other systems are asked through fontconfig.
const NOTO_CJK_FILES = ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', '/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf']

export function findChromium (): Promise<string | null> {
  return findExecutable('chromium', ['/usr/bin'])
    .then(async (found) => found ?? await findExecutable('chromium-browser', ['/usr/bin']))
}

export async function hasCjkFont (): Promise<boolean> {
  if (NOTO_CJK_FILES.some((f) => existsSync(f))) return true
  // `fc-list :lang=zh-cn` lists the fonts that cover Simplified Chinese; absent fontconfig
  // tools (a minimal image) it fails, which counts as "no font".
  const { code, out } = await run('fc-list', [':lang=zh-cn', 'family'])
  return code === 0 && out.trim() !== ''
}

let installing: Promise<string> | undefined
/**
 * Path of the Chromium to drive: CHROMIUM_PATH if set (never installed over), else the
 * distribution's, installed with fonts-noto-cjk when missing (root + apt, like influxd).
 */
export function ensureChromiumInstalled (log: Log = () => {}): Promise<string> {
  // Memoised so the browser tests of one process share one apt-get run.
  installing ??= (async () => {
    const explicit = process.env.CHROMIUM_PATH
    if (explicit) {
      if (!await isExecutable(explicit)) throw new Error(`CHROMIUM_PATH=${explicit} is not an executable file`)
    }
    const found = explicit ?? await findChromium()
    const fontMissing = !await hasCjkFont()
    const need = [...(found ? [] : ['chromium']), ...(fontMissing ? ['fonts-noto-cjk'] : [])]
    if (need.length > 0) await aptInstall(need, log, { what: found ? 'fonts-noto-cjk (CJK fonts for Chromium)' : WHAT, manualHint: MANUAL_HINT })
    const bin = found ?? await findChromium()
    if (!bin) throw manualInstallError(WHAT, 'apt-get reported success but chromium is still not found', MANUAL_HINT)
    if (!await hasCjkFont()) throw manualInstallError('a CJK font', 'apt-get reported success but no font covers Chinese', MANUAL_HINT)
    return bin
  })()
  installing.catch(() => { installing = undefined }) // let a later call retry
  return installing
}

// Debian's chromium as root in a container: no sandbox (root), no /dev/shm of any size, no GPU,
// and no crash reporter, whose chrome_crashpad_handler exits with "--database is required"
// when HOME is not writable (it also gets a writable HOME of its own).
export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-crash-reporter']

export type LaunchedBrowser = Browser & { /** ms from launch() to a connected browser */ launchMs: number }

/** Starts headless Chromium through playwright-core (installing it first when missing). */
export async function launchChromium (log: Log = () => {}): Promise<LaunchedBrowser> {
  const executablePath = await ensureChromiumInstalled(log)
  const home = await mkdtemp(join(tmpdir(), 'waystation-chromium-home-'))
  const started = performance.now()
  const browser = await chromium.launch({
    executablePath,
    // Playwright's plain --headless is swapped for the explicit new headless mode.
    headless: true,
    ignoreDefaultArgs: ['--headless'],
    args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') },
    timeout: 60_000
  }).catch(async (err: Error) => {
    await rm(home, { recursive: true, force: true })
    throw new Error(`cannot launch ${executablePath}: ${err.message}`)
  })
  const launchMs = performance.now() - started
  browser.on('disconnected', () => { void rm(home, { recursive: true, force: true }) })
  return Object.assign(browser, { launchMs })
}

if (import.meta.main) {
  console.log(await ensureChromiumInstalled((line) => console.error(line)))
}
