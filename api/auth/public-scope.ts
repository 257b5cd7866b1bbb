// Makes every route of a plugin public. @fastify/swagger-ui registers routes we cannot
// pass `config: { auth }` to, and /metrics is public only when configured so; registering
// such a plugin inside this scope marks its routes (and only its) `public` as they are
// added. Routes whose level never changes declare it in their own options instead.
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginCallback, FastifyPluginOptions } from 'fastify'

type AnyPlugin<O extends FastifyPluginOptions> = FastifyPluginAsync<O> | FastifyPluginCallback<O>

export function publicScope<O extends FastifyPluginOptions> (plugin: AnyPlugin<O>, options: O) {
  return async function publicRoutes (scope: FastifyInstance) {
    // Runs after the app's own onRoute hooks (parents' hooks run first), so it has the last word.
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, auth: 'public' }
    })
    await scope.register(plugin as FastifyPluginAsync<O>, options)
  }
}
