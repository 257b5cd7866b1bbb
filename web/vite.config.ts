// Builds the dashboard (web/) into web/dist, which the API serves at / (api/web-app.ts).
// Everything is bundled: no CDN, no inline script, so the page runs under a CSP that allows
// only the API's own origin. `npm run web:dev` serves it with hot reload and forwards API
// paths to WAYSTATION_API (default http://127.0.0.1:8080).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

const root = fileURLToPath(new URL('.', import.meta.url))
const api = process.env.WAYSTATION_API ?? 'http://127.0.0.1:8080'
const apiPaths = ['/session', '/live', '/stations', '/fleet', '/devices', '/services', '/tokens', '/audit', '/health', '/docs']

// A .br and a .gz next to every built script and stylesheet, at the best ratios (once per
// build, not per request): the API serves them to browsers that accept them (api/web-app.ts,
// @fastify/static preCompressed).
function precompress (): Plugin {
  return {
    name: 'waystation-precompress',
    apply: 'build',
    closeBundle () {
      const dir = join(root, 'dist', 'assets')
      for (const name of readdirSync(dir)) {
        if (!/\.(js|css)$/.test(name)) continue
        const body = readFileSync(join(dir, name))
        writeFileSync(join(dir, `${name}.gz`), gzipSync(body, { level: 9 }))
        writeFileSync(join(dir, `${name}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
      }
    }
  }
}

export default defineConfig({
  root,
  base: '/',
  plugins: [vue(), precompress()],
  define: {
    // vue-i18n: JIT message compilation (an AST interpreter, no `new Function`), so the
    // CSP needs no 'unsafe-eval'; no legacy API, no devtools in production.
    __VUE_I18N_FULL_INSTALL__: false,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_JIT_COMPILATION__: true,
    __INTLIFY_DROP_MESSAGE_COMPILER__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __VUE_OPTIONS_API__: true,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1500
  },
  server: {
    proxy: Object.fromEntries(apiPaths.map((p) => [p, { target: api, changeOrigin: false }]))
  }
})
