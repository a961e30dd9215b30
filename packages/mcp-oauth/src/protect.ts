import type { McpServer, RequestId } from '@mcp-fastify/mcp-protocol'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import { createBearerHook, type BearerGuard } from './bearer.ts'
import { refuse } from './challenge.ts'
import type { ProtectedEndpoint, ProtectedEndpoints } from './endpoints.ts'
import type { RateLimits } from './rate-limit.ts'
import { itemUses } from './scopes.ts'

export interface Protection {
  endpoints: ProtectedEndpoints
  guard: BearerGuard
  limits: RateLimits | undefined
}

type Hook = NonNullable<RouteOptions['onRequest']>

function append (hooks: Hook | undefined, hook: (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void): Hook {
  return [...[hooks ?? []].flat(), hook] as Hook
}

/** The JSON-RPC id of a single request body, so a 429 answers it. */
function requestIdOf (body: unknown): RequestId | undefined {
  const id = (body as { id?: unknown } | null)?.id
  return typeof id === 'string' || typeof id === 'number' ? id : undefined
}

/**
 * The `preHandler` of an endpoint's routes, once the body is parsed: requests that use a tool,
 * resource or prompt the token has no scope for get the 403 challenge before dispatch (every
 * request of a 2025-03-26 batch counts); then the request is counted against its budgets.
 */
function createCallCheck (server: McpServer, endpoint: ProtectedEndpoint, protection: Protection) {
  const { guard: { scopes }, limits } = protection
  // A callback hook: without rate limits, nothing here waits.
  return function checkCalls (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const granted = request.mcpAuth?.scopes ?? []
    const missing = scopes.missingFor(server, request.body, granted)
    if (missing.length > 0) {
      refuse(reply, {
        reason: 'insufficient_scope',
        error: 'insufficient_scope',
        description: `This request needs the scopes ${missing.join(' ')}`,
        scopes: scopes.challengeScopes(granted, missing)
      }, endpoint.resource.metadataUrl)
      return
    }
    if (limits === undefined) {
      done()
      return
    }
    const tools = itemUses(request.body).filter((use) => use.kind === 'tool').map((use) => use.name)
    limits.check(request, reply, tools).then(() => done(), (error: Error & { requestId?: RequestId }) => {
      if (!Array.isArray(request.body)) error.requestId = requestIdOf(request.body)
      done(error)
    })
  }
}

/**
 * The `onRoute` hook that finds the routes of MCP endpoints (`config.mcpEndpoint`, set by
 * mcp-transport) and adds the bearer check and the per-call check to them, and only to them; the
 * endpoint's server gets the scope filter on what clients see.
 */
export function createRouteHook (protection: Protection) {
  const filtered = new WeakSet<McpServer>()
  return function protectMcpRoutes (this: FastifyInstance, route: RouteOptions): void {
    const mounted = route.config?.mcpEndpoint
    if (mounted === undefined) return
    const endpoint = protection.endpoints.add(mounted)
    const server = this.mcp
    if (!filtered.has(server)) {
      filtered.add(server)
      server.addFilter(protection.guard.scopes.filter)
    }
    route.onRequest = append(route.onRequest, createBearerHook(endpoint, protection.guard))
    route.preHandler = append(route.preHandler, createCallCheck(server, endpoint, protection))
  }
}
