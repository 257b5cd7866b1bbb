// Type-checks the dashboard (web/, Vue single-file components) with vue-tsc. vue-tsc drives
// the JavaScript TypeScript compiler, which the root's TypeScript 7 (native) no longer is:
// TypeScript 6 is installed as `typescript-js` for it. vue-tsc's run() reads process.argv.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
process.argv = [process.argv[0], 'vue-tsc', '--noEmit', '-p', fileURLToPath(new URL('../web/tsconfig.json', import.meta.url)), ...process.argv.slice(2)]
require('vue-tsc').run(require.resolve('typescript-js/lib/tsc'))
