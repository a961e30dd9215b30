import fastifyRateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { rateLimitedChannel, type RateLimitedEvent } from './channels.ts'
import { FST_MCP_OAUTH_RATE_LIMITED } from './errors.ts'
import type { RateLimitSettings } from './options.ts'

type Limiter = (request: FastifyRequest) => Promise<{ isAllowed: boolean, isExceeded?: boolean, ttlInSeconds?: number, key: string }>

/** Who a request counts against: its principal, else its session, else its address. */
export function rateLimitKey (request: FastifyRequest): string {
  if (request.mcpPrincipal !== null) return `principal:${request.mcpPrincipal}`
  const session = request.headers['mcp-session-id']
  if (typeof session === 'string' && session !== '') return `session:${session}`
  return `ip:${request.ip}`
}

/**
 * Budgets on the endpoint with @fastify/rate-limit: one for every request, one per listed tool
 * for its `tools/call`s, counted per principal. Counters live in memory, or in Redis (shared by
 * every node) when a client is given. @fastify/rate-limit is registered in a context of its own,
 * so it neither clashes with nor changes the app's own rate limiting.
 */
export class RateLimits {
  readonly #endpoint: Limiter
  readonly #tools: Map<string, Limiter>

  private constructor (endpoint: Limiter, tools: Map<string, Limiter>) {
    this.#endpoint = endpoint
    this.#tools = tools
  }

  static async register (app: FastifyInstance, settings: RateLimitSettings, redis: RateLimitPluginOptions['redis']): Promise<RateLimits> {
    let limits: RateLimits | undefined
    await app.register(async function mcpOAuthRateLimit (scope) {
      await scope.register(fastifyRateLimit, {
        global: false,
        max: settings.max,
        timeWindow: settings.timeWindowMs,
        keyGenerator: rateLimitKey,
        ...(redis === undefined ? {} : { redis, nameSpace: 'mcp-fastify-rate-limit:' })
      })
      const tools = new Map<string, Limiter>()
      for (const [tool, budget] of Object.entries(settings.tools)) {
        tools.set(tool, scope.createRateLimit({
          max: budget.max,
          timeWindow: budget.timeWindowMs,
          keyGenerator: (request: FastifyRequest) => `${rateLimitKey(request)}:tool:${tool}`
        }) as Limiter)
      }
      limits = new RateLimits(scope.createRateLimit() as Limiter, tools)
    })
    return limits!
  }

  /** Counts the request (and the calls of budgeted tools in it); over a budget, 429 with `Retry-After`. */
  async check (request: FastifyRequest, reply: FastifyReply, tools: readonly string[]): Promise<void> {
    await this.#count(this.#endpoint, request, reply, undefined)
    for (const tool of tools) {
      const limiter = this.#tools.get(tool)
      if (limiter !== undefined) await this.#count(limiter, request, reply, tool)
    }
  }

  async #count (limiter: Limiter, request: FastifyRequest, reply: FastifyReply, tool: string | undefined): Promise<void> {
    const limit = await limiter(request)
    if (limit.isAllowed || limit.isExceeded !== true) return
    if (rateLimitedChannel.hasSubscribers) rateLimitedChannel.publish({ key: rateLimitKey(request), tool, budget: tool === undefined ? 'endpoint' : 'tool' } satisfies RateLimitedEvent)
    const retryAfter = Math.max(1, limit.ttlInSeconds ?? 1)
    reply.header('retry-after', String(retryAfter))
    throw new FST_MCP_OAUTH_RATE_LIMITED(retryAfter)
  }
}
