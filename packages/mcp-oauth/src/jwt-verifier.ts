import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { checkClaims, invalid, type ClaimExpectations, type Verification } from './claims.ts'
import { JwksKeys, UnknownKeyError } from './jwks.ts'
import type { McpOAuthSettings } from './options.ts'
import { VerifiedTokens } from './token-cache.ts'

/** The @fastify/jwt namespace of mcp-oauth: its decorators cannot clash with the app's own JWT plugin. */
export const JWT_NAMESPACE = 'mcpOAuth'
const VERIFY = 'mcpOAuthJwtVerify'
const kToken = Symbol('mcp-oauth.token')

type TokenRequest = FastifyRequest & { [kToken]: string | null, [VERIFY]: () => Promise<Record<string, unknown>> }

/** Three base64url segments: what a JWS in compact serialization looks like. */
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

interface Header { kid?: unknown, alg?: unknown }

/**
 * JWT access tokens (RFC 9068) verified by @fastify/jwt (fast-jwt underneath) with the issuer's
 * keys: an algorithm allow-list, `exp` required, `exp`/`nbf` with the clock skew, and verified
 * tokens cached (per key) until they expire, so a token's signature is checked once.
 */
export class JwtVerifier {
  readonly keys: JwksKeys
  readonly #settings: McpOAuthSettings
  /** Verified tokens, per endpoint (one token may be good for one endpoint and not another). */
  readonly #verified = new WeakMap<ClaimExpectations, VerifiedTokens>()

  private constructor (keys: JwksKeys, settings: McpOAuthSettings) {
    this.keys = keys
    this.#settings = settings
  }

  static async register (app: FastifyInstance, settings: McpOAuthSettings, keys: JwksKeys): Promise<JwtVerifier> {
    const algorithms = new Set<string>(settings.algorithms)
    app.decorateRequest(kToken, null)
    await app.register(fastifyJwt, {
      namespace: JWT_NAMESPACE,
      jwtVerify: VERIFY,
      jwtDecode: 'mcpOAuthJwtDecode',
      jwtSign: 'mcpOAuthJwtSign',
      decoratorName: 'mcpOAuthClaims',
      secret: {
        public: async (_request: FastifyRequest, decoded: unknown) => {
          const { kid, alg } = (decoded as { header: Header }).header
          if (typeof alg !== 'string' || !algorithms.has(alg)) throw new UnknownKeyError(`the algorithm ${String(alg)} is not accepted`)
          return keys.key(typeof kid === 'string' ? kid : undefined, alg)
        }
      },
      decode: { complete: true },
      verify: {
        algorithms: settings.algorithms,
        clockTolerance: settings.clockToleranceSec * 1000,
        requiredClaims: ['exp'],
        cache: settings.tokenCacheSize === 0 ? false : settings.tokenCacheSize,
        cacheTTL: settings.tokenCacheTtlMs,
        extractToken: (request: FastifyRequest) => (request as TokenRequest)[kToken] ?? undefined
      }
    })
    return new JwtVerifier(keys, settings)
  }

  /** Synchronous for a token verified before (the common case): no promise on the hot path. */
  verify (request: FastifyRequest, token: string, expected: ClaimExpectations): Verification | Promise<Verification> {
    const now = Date.now()
    const cache = this.#cacheOf(expected)
    const known = cache.get(token, now)
    if (known !== undefined) return { ok: true, auth: known }
    return this.#verify(request, token, expected, cache, now)
  }

  async #verify (request: FastifyRequest, token: string, expected: ClaimExpectations, cache: VerifiedTokens, now: number): Promise<Verification> {
    if (!JWS.test(token)) return invalid('malformed', 'The bearer token is not a JWT')
    const target = request as TokenRequest
    target[kToken] = token
    let claims: Record<string, unknown>
    try {
      claims = await target[VERIFY]()
    } catch (error) {
      return failure(error)
    } finally {
      target[kToken] = null
    }
    const verification = checkClaims(claims, expected)
    if (verification.ok) cache.set(token, verification.auth, now)
    return verification
  }

  #cacheOf (expected: ClaimExpectations): VerifiedTokens {
    let cache = this.#verified.get(expected)
    if (cache === undefined) {
      const { tokenCacheSize, tokenCacheTtlMs, clockToleranceSec } = this.#settings
      cache = new VerifiedTokens(tokenCacheSize, tokenCacheTtlMs, clockToleranceSec * 1000)
      this.#verified.set(expected, cache)
    }
    return cache
  }
}

/** What a verification error means for the client; anything unexpected (the issuer unreachable) is thrown. */
function failure (error: unknown): Verification {
  if (error instanceof UnknownKeyError) return invalid('invalid_token', `The token cannot be verified: ${error.message}`)
  const code = (error as { code?: unknown }).code
  if (code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED') return invalid('expired', 'The token has expired')
  if (code === 'FAST_JWT_INACTIVE') return invalid('invalid_token', 'The token is not valid yet')
  if (code === 'FST_JWT_AUTHORIZATION_TOKEN_INVALID') return invalid('invalid_token', 'The token signature or claims are invalid')
  if (typeof code === 'string' && (code.startsWith('FAST_JWT_') || code.startsWith('FST_JWT_'))) {
    return invalid('invalid_token', 'The token is invalid')
  }
  throw error
}
