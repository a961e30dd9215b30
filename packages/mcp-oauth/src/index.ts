import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import './augment.ts'
import type { TokenCheck } from './bearer.ts'
import { AuthorizationServer } from './discovery.ts'
import { ProtectedEndpoints } from './endpoints.ts'
import { FST_MCP_OAUTH_NO_ENDPOINT, FST_MCP_OAUTH_REGISTERED_AFTER_TRANSPORT } from './errors.ts'
import { Introspector } from './introspection.ts'
import { JwksKeys } from './jwks.ts'
import { JwtVerifier } from './jwt-verifier.ts'
import { registerMetadataRoutes } from './metadata.ts'
import { resolveSettings, type McpOAuthOptions, type McpOAuthSettings } from './options.ts'
import { createRouteHook } from './protect.ts'
import { RateLimits } from './rate-limit.ts'
import { ScopePolicy } from './scopes.ts'

/** `app.mcpOAuth`: what the plugin resolved, and the state of its caches. */
export interface McpOAuth {
  readonly settings: McpOAuthSettings
  /** The trusted issuer, and its discovered metadata. */
  readonly authorizationServer: AuthorizationServer
  /** The issuer's signing keys (with `verification: 'jwt'`). */
  readonly keys: JwksKeys | undefined
  /** The introspection client (with `verification: 'introspection'`). */
  readonly introspector: Introspector | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    mcpOAuth: McpOAuth
  }
}

const mcpOAuth: FastifyPluginAsync<McpOAuthOptions> = async (app, options) => {
  const { dispatcher, redis, ...rest } = options
  const settings = resolveSettings(rest)
  // Its hooks reach only the routes registered after it: a transport already there is unprotected.
  if (app.hasDecorator('mcp')) throw new FST_MCP_OAUTH_REGISTERED_AFTER_TRANSPORT()
  const http = { dispatcher, timeoutMs: settings.requestTimeoutMs }
  const authorizationServer = new AuthorizationServer(settings.issuer, http, settings.metadataMaxAgeMs)
  const scopes = new ScopePolicy(settings)
  const endpoints = new ProtectedEndpoints(settings, app.prefix)

  let check: TokenCheck
  let keys: JwksKeys | undefined
  let introspector: Introspector | undefined
  if (settings.verification === 'introspection') {
    const client = new Introspector(authorizationServer, http, settings.introspection!, settings.clockToleranceSec)
    introspector = client
    app.addHook('onClose', async () => client.close())
    check = (_request, token, endpoint) => client.verify(token, endpoint.expectations)
  } else {
    keys = new JwksKeys(authorizationServer, http, { maxAgeMs: settings.jwksMaxAgeMs, refreshCooldownMs: settings.jwksRefreshCooldownMs })
    const verifier = await JwtVerifier.register(app, settings, keys)
    check = (request, token, endpoint) => verifier.verify(request, token, endpoint.expectations)
  }
  const limits = settings.rateLimit === false ? undefined : await RateLimits.register(app, settings.rateLimit, redis)

  app.decorate('mcpOAuth', { settings, authorizationServer, keys, introspector } satisfies McpOAuth)
  app.decorateRequest('mcpAuth', null)
  if (!app.hasRequestDecorator('mcpPrincipal')) app.decorateRequest('mcpPrincipal', null)
  app.addHook('onRoute', createRouteHook({ endpoints, check, scopes, limits }))
  registerMetadataRoutes(app, endpoints, settings, scopes, authorizationServer)
  app.addHook('onReady', async () => {
    if (endpoints.size === 0) throw new FST_MCP_OAUTH_NO_ENDPOINT()
  })
}

export default fp(mcpOAuth, { fastify: '5.x', name: '@mcp-fastify/mcp-oauth' })
export { mcpOAuth }
export { McpOAuthSettingsSchema, ASYMMETRIC_ALGORITHMS, type McpOAuthOptions, type McpOAuthSettings } from './options.ts'
export { errorCodes } from './errors.ts'
export {
  authRefusedChannel, rateLimitedChannel,
  type AuthRefusalReason, type AuthRefusedEvent, type RateLimitedEvent
} from './channels.ts'
export type { McpAuthInfo } from './claims.ts'
export { AuthorizationServer, metadataUrls, type AuthorizationServerMetadata } from './discovery.ts'
export { JwksKeys } from './jwks.ts'
export { Introspector } from './introspection.ts'
export { bearerChallenge, type BearerErrorCode, type Refusal } from './challenge.ts'
export { canonicalResource } from './resource.ts'
