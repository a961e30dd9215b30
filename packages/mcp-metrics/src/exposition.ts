import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import type { Registry } from 'prom-client'

/**
 * `GET path`: the registry in the Prometheus text format. Protect it with `onRequest` hooks
 * (authentication, an allow-list), or serve `app.mcpMetrics.metrics()` from a route of your own.
 */
export function expositionRoute (
  app: FastifyInstance, registry: Registry, path: string, onRequest: onRequestHookHandler | onRequestHookHandler[] | undefined
): void {
  app.get(path, onRequest === undefined ? {} : { onRequest }, async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
}
