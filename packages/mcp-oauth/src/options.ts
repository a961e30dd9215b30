import type { RateLimitPluginOptions } from '@fastify/rate-limit'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { Dispatcher } from 'undici'
import { FST_MCP_OAUTH_INVALID_OPTIONS } from './errors.ts'
import { optionProblems } from './option-errors.ts'

/** JWS algorithms a resource server can verify with a public key from a JWKS (no `none`, no HMAC). */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const

const Url = Type.String({ pattern: '^[hH][tT][tT][pP][sS]?://', expected: 'an http(s) URL' })
const Scopes = Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$', expected: 'a scope (printable ASCII without spaces, quotes or backslashes)' }))
const Budget = Type.Object({
  max: Type.Integer({ minimum: 1 }),
  timeWindowMs: Type.Integer({ minimum: 1, default: 60_000 })
}, { additionalProperties: false })

const InvalidTokenLimitSchema = Type.Object({
  max: Type.Integer({ minimum: 1, default: 30 }),
  timeWindowMs: Type.Integer({ minimum: 1000, default: 60_000 }),
  cacheSize: Type.Integer({ minimum: 1, default: 10_000 })
}, { additionalProperties: false })

const RateLimitSchema = Type.Object({
  max: Type.Integer({ minimum: 1, default: 600 }),
  timeWindowMs: Type.Integer({ minimum: 1, default: 60_000 }),
  tools: Type.Record(Type.String(), Budget, { default: {} })
}, { additionalProperties: false })

export const McpOAuthSettingsSchema = Type.Object({
  /** The authorization server's issuer identifier; its metadata is discovered from it (RFC 8414, OIDC). */
  issuer: Url,
  /**
   * The public URL of the protected MCP endpoint (`https://api.example.com/mcp`): the canonical
   * resource URI tokens must be issued for. An origin alone (`https://api.example.com`) stands for
   * every endpoint mcp-oauth protects, each with its mounted path appended.
   */
  resource: Url,
  /** Also accept tokens whose audience names one of these (an old URL of the endpoint, say). */
  audiences: Type.Array(Type.String(), { default: [] }),
  /** Check that the token was issued for this resource (RFC 8707). On by default, as the spec requires. */
  validateAudience: Type.Boolean({ default: true }),
  /** Scopes every request to the endpoint needs. */
  requiredScopes: Type.Array(Type.String(), { default: [] }),
  /** Scopes a tool, resource or prompt needs when its `config.scopes` says nothing. */
  defaultScopes: Type.Object({
    tool: Type.Optional(Scopes),
    resource: Type.Optional(Scopes),
    prompt: Type.Optional(Scopes)
  }, { additionalProperties: false, default: {} }),
  /**
   * `scopes_supported` of the protected resource metadata; by default `requiredScopes` and
   * `defaultScopes`, which clients ask for when a challenge names none.
   */
  scopesSupported: Type.Optional(Scopes),
  /**
   * The `scope` of 401 challenges: what a client should ask for to begin. By default the scopes of
   * a basic session, `requiredScopes` and `defaultScopes`: not the extra scopes of single tools,
   * which clients ask for when a 403 names them (least privilege).
   */
  challengeScopes: Type.Optional(Scopes),
  /** `resource_name` of the protected resource metadata. */
  resourceName: Type.Optional(Type.String()),
  /** `resource_documentation` of the protected resource metadata. */
  resourceDocumentation: Type.Optional(Url),
  /** How access tokens are checked: JWTs locally, with the issuer's keys; or opaque ones by introspection. */
  verification: Type.Union([Type.Literal('jwt'), Type.Literal('introspection')], { default: 'jwt' }),
  /**
   * The `typ` values of JWT access tokens accepted (RFC 9068 §4: `at+jwt`; compared without case
   * and without `application/`); `false` accepts any, none included.
   */
  tokenTypes: Type.Union([Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), Type.Literal(false)], { default: ['at+jwt'] }),
  /** JWS algorithms accepted (asymmetric only). */
  algorithms: Type.Array(Type.Union(ASYMMETRIC_ALGORITHMS.map((alg) => Type.Literal(alg))), { minItems: 1, default: [...ASYMMETRIC_ALGORITHMS] }),
  /** Clock skew tolerated on `exp` and `nbf`, in seconds. */
  clockToleranceSec: Type.Integer({ minimum: 0, maximum: 300, default: 30 }),
  /** Verified tokens kept (least recently used go first), so a token is checked once per `tokenCacheTtlMs` (never past its `exp`); 0: none. */
  tokenCacheSize: Type.Integer({ minimum: 0, default: 1000 }),
  tokenCacheTtlMs: Type.Integer({ minimum: 1, default: 5 * 60_000 }),
  /** Keys of the JWKS are fetched again after this long. */
  jwksMaxAgeMs: Type.Integer({ minimum: 1000, default: 60 * 60_000 }),
  /** A token with an unknown `kid` refetches the JWKS, at most once per this interval. */
  jwksRefreshCooldownMs: Type.Integer({ minimum: 0, default: 30_000 }),
  /** The issuer's metadata is fetched again after this long. */
  metadataMaxAgeMs: Type.Integer({ minimum: 1000, default: 60 * 60_000 }),
  /** Timeout of every request to the authorization server, from sending it to the last byte of the answer. */
  requestTimeoutMs: Type.Integer({ minimum: 1, default: 5_000 }),
  /** Largest answer read from the authorization server (metadata, JWKS, introspection). */
  maxResponseBytes: Type.Integer({ minimum: 1024, default: 256 * 1024 }),
  /** After a failure of the issuer, how long before it is asked again (doubled after each failure that follows). */
  issuerBackoffMs: Type.Integer({ minimum: 1, default: 1_000 }),
  /** The longest wait between attempts while the issuer keeps failing. */
  issuerBackoffMaxMs: Type.Integer({ minimum: 1, default: 60_000 }),
  /** RFC 7662 introspection, with `verification: 'introspection'`. */
  introspection: Type.Optional(Type.Object({
    clientId: Type.String({ minLength: 1 }),
    clientSecret: Type.String({ minLength: 1 }),
    /** By default the `introspection_endpoint` of the issuer's metadata. */
    endpoint: Type.Optional(Url),
    /** An active token's answer is kept until it expires, at most this long. */
    cacheTtlMs: Type.Integer({ minimum: 0, default: 5 * 60_000 }),
    /** An inactive token's answer is kept this long. */
    inactiveCacheTtlMs: Type.Integer({ minimum: 0, default: 10_000 }),
    cacheSize: Type.Integer({ minimum: 1, default: 10_000 })
  }, { additionalProperties: false })),
  /**
   * Serve the issuer's authorization server metadata at `/.well-known/oauth-authorization-server`
   * (a cached copy), where 2025-03-26 clients look for it.
   */
  authorizationServerMetadata: Type.Boolean({ default: true }),
  /** Rate limits on the endpoint, per principal (or session, or IP), with budgets per tool; `false`: none. */
  rateLimit: Type.Union([Type.Literal(false), RateLimitSchema], { default: false }),
  /**
   * Refused tokens a client address may present per window; past it, tokens not verified before
   * get 429 until the window ends, unchecked. `false`: no limit.
   */
  invalidTokenLimit: Type.Union([Type.Literal(false), InvalidTokenLimitSchema], { default: { max: 30, timeWindowMs: 60_000, cacheSize: 10_000 } })
}, { additionalProperties: false })

export type McpOAuthSettings = Static<typeof McpOAuthSettingsSchema>
export type RateLimitSettings = Exclude<McpOAuthSettings['rateLimit'], false>
export type InvalidTokenLimitSettings = Exclude<McpOAuthSettings['invalidTokenLimit'], false>

type SettingsInput = Omit<Partial<McpOAuthSettings>, 'rateLimit' | 'introspection' | 'defaultScopes' | 'invalidTokenLimit'> & Pick<McpOAuthSettings, 'issuer' | 'resource'> & {
  defaultScopes?: McpOAuthSettings['defaultScopes']
  introspection?: Partial<NonNullable<McpOAuthSettings['introspection']>> & { clientId: string, clientSecret: string }
  rateLimit?: false | {
    max?: number
    timeWindowMs?: number
    tools?: Record<string, { max: number, timeWindowMs?: number }>
  }
  invalidTokenLimit?: false | Partial<InvalidTokenLimitSettings>
}

export interface McpOAuthOptions extends SettingsInput {
  /** The undici dispatcher of every request to the authorization server (a proxy, a mock agent, TLS settings). */
  dispatcher?: Dispatcher
  /** An ioredis client: rate-limit counters live in Redis, shared by every node (as mcp-session's store). */
  redis?: RateLimitPluginOptions['redis']
}

/** Defaults applied and checked once, at register time; every problem is reported at once. */
export function resolveSettings (options: SettingsInput): McpOAuthSettings {
  const input = structuredClone(options)
  // Value.Default applies no defaults inside a union or a record: the budgets get theirs here.
  if (typeof input.rateLimit === 'object' && input.rateLimit !== null) {
    const limits = Value.Default(RateLimitSchema, input.rateLimit) as RateLimitSettings
    for (const [tool, budget] of Object.entries(limits.tools ?? {})) limits.tools[tool] = Value.Default(Budget, budget) as RateLimitSettings['tools'][string]
    input.rateLimit = limits
  }
  if (typeof input.invalidTokenLimit === 'object' && input.invalidTokenLimit !== null) {
    input.invalidTokenLimit = Value.Default(InvalidTokenLimitSchema, input.invalidTokenLimit) as InvalidTokenLimitSettings
  }
  // Value.Default merges an array into a union's default array (`[]` would become the default): kept as given.
  const tokenTypes = input.tokenTypes
  const settings = Value.Default(McpOAuthSettingsSchema, input) as McpOAuthSettings
  if (tokenTypes !== undefined) settings.tokenTypes = tokenTypes
  const problems = optionProblems(McpOAuthSettingsSchema, settings)
  if (settings.verification === 'introspection' && settings.introspection === undefined) {
    problems.push('/introspection: required with verification "introspection" ({ clientId, clientSecret })')
  }
  for (const key of ['issuer', 'resource'] as const) {
    if (typeof settings[key] !== 'string' || problems.some((problem) => problem.startsWith(`/${key}:`))) continue
    const url = URL.parse(settings[key])
    if (url === null || url.hash !== '') problems.push(`/${key}: must be an absolute http(s) URL without a fragment (got ${JSON.stringify(settings[key])})`)
  }
  if (settings.issuerBackoffMaxMs < settings.issuerBackoffMs) {
    problems.push(`/issuerBackoffMaxMs: must be at least issuerBackoffMs (${settings.issuerBackoffMs})`)
  }
  if (problems.length > 0) {
    throw new FST_MCP_OAUTH_INVALID_OPTIONS(`${problems.length === 1 ? '1 problem' : `${problems.length} problems`}: ${problems.join('; ')}`)
  }
  return settings
}
