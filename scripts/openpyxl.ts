// Python 3 with openpyxl, installed on Debian when we are root (like influxd): the reports
// tests read the XLSX files the API writes with an independent implementation, not our own.
import { aptInstall, findExecutable, manualInstallError, run, type Log } from './system.ts'

const WHAT = 'python3 with openpyxl (reads XLSX files in the reports tests)'
const MANUAL_HINT = '  - Debian/Ubuntu: sudo apt-get install python3-openpyxl\n' +
  '  - or: python3 -m pip install --user openpyxl'

async function findPythonWithOpenpyxl (): Promise<string | null> {
  const python = await findExecutable('python3', ['/usr/bin'])
  if (!python) return null
  return (await run(python, ['-c', 'import openpyxl'])).code === 0 ? python : null
}

let installing: Promise<string> | undefined
/** Path of a python3 that can `import openpyxl`, installing python3-openpyxl when missing. */
export function ensureOpenpyxl (log: Log = () => {}): Promise<string> {
  installing ??= (async () => {
    const found = await findPythonWithOpenpyxl()
    if (found) return found
    await aptInstall(['python3-openpyxl'], log, { what: WHAT, manualHint: MANUAL_HINT })
    const python = await findPythonWithOpenpyxl()
    if (!python) throw manualInstallError(WHAT, 'apt-get reported success but `python3 -c "import openpyxl"` still fails', MANUAL_HINT)
    return python
  })()
  installing.catch(() => { installing = undefined }) // let a later call retry
  return installing
}

if (import.meta.main) {
  console.log(await ensureOpenpyxl((line) => console.error(line)))
}
