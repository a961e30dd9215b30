import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import './augment.ts'
import type { TokenCheck } from './bearer.ts'
import { BoundedDispatcher } from './bounded-dispatcher.ts'
import { AuthorizationServer } from './discovery.ts'
import { ProtectedEndpoints } from './endpoints.ts'
import { FST_MCP_OAUTH_NO_ENDPOINT, FST_MCP_OAUTH_REGISTERED_AFTER_TRANSPORT } from './errors.ts'
import type { HttpClient } from './http.ts'
import { Introspector } from './introspection.ts'
import { InvalidTokenBudget } from './invalid-tokens.ts'
import { JwksKeys } from './jwks.ts'
import { JwtVerifier } from './jwt-verifier.ts'
import { registerMetadataRoutes } from './metadata.ts'
import { resolveSettings, type McpOAuthOptions, type McpOAuthSettings } from './options.ts'
import { createRouteHook } from './protect.ts'
import { RateLimits } from './rate-limit.ts'
import { unsupportedScopes } from './scope-check.ts'
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
  /**
   * A readiness check (for mcp-metrics' `readyChecks`): resolves when new tokens can be judged
   * (the issuer's metadata, and its keys for JWTs, are at hand), else rejects with the 503 error,
   * whose message names no URL. The issuer is shared by every node: when it is down, all fail it.
   */
  readonly ready: () => Promise<void>
  /**
   * The scopes advertised (metadata, challenges) that the issuer's `scopes_supported` does not
   * list; also checked, and logged as a warning, when the app is ready.
   */
  readonly unsupportedScopes: () => Promise<string[]>
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
  const http: HttpClient = {
    dispatcher: new BoundedDispatcher(dispatcher, { timeoutMs: settings.requestTimeoutMs, maxBytes: settings.maxResponseBytes }),
    backoff: { minMs: settings.issuerBackoffMs, maxMs: settings.issuerBackoffMaxMs },
    log: app.log
  }
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
    check = {
      known: (token, endpoint) => client.known(token, endpoint.expectations),
      verify: (_request, token, endpoint) => client.verify(token, endpoint.expectations)
    }
  } else {
    keys = new JwksKeys(authorizationServer, http, { maxAgeMs: settings.jwksMaxAgeMs, refreshCooldownMs: settings.jwksRefreshCooldownMs })
    const verifier = await JwtVerifier.register(app, settings, keys)
    check = {
      known: (token, endpoint) => verifier.known(token, endpoint.expectations),
      verify: (request, token, endpoint) => verifier.verify(request, token, endpoint.expectations)
    }
  }
  const limits = settings.rateLimit === false ? undefined : await RateLimits.register(app, settings.rateLimit, redis)
  const invalidTokens = settings.invalidTokenLimit === false ? undefined : new InvalidTokenBudget(settings.invalidTokenLimit)

  const jwks = keys
  const ready = async (): Promise<void> => {
    await authorizationServer.metadata()
    await jwks?.ready()
  }
  const checkScopes = (): Promise<string[]> => unsupportedScopes(authorizationServer, scopes, app.log)
  app.decorate('mcpOAuth', { settings, authorizationServer, keys, introspector, ready, unsupportedScopes: checkScopes } satisfies McpOAuth)
  app.decorateRequest('mcpAuth', null)
  if (!app.hasRequestDecorator('mcpPrincipal')) app.decorateRequest('mcpPrincipal', null)
  app.addHook('onRoute', createRouteHook({ endpoints, guard: { check, scopes, invalidTokens }, limits }))
  registerMetadataRoutes(app, endpoints, settings, scopes, authorizationServer)
  app.addHook('onReady', async () => {
    if (endpoints.size === 0) throw new FST_MCP_OAUTH_NO_ENDPOINT()
    // Not awaited: a slow or absent issuer must not delay the start. It also warms the metadata cache.
    checkScopes().catch((error: unknown) => app.log.error({ err: error }, 'mcp-oauth: the scope check failed'))
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
export { type InvalidTokenLimitSettings } from './options.ts'
export { Introspector } from './introspection.ts'
export { bearerChallenge, type BearerErrorCode, type Refusal } from './challenge.ts'
export { canonicalResource } from './resource.ts'
