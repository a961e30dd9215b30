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

interface Header { kid?: unknown, alg?: unknown, typ?: unknown }

/** A header this server refuses before looking for a key: not an access token, or an algorithm not accepted. */
export class RefusedHeaderError extends Error {}

/** `typ` as RFC 7515 §4.1.9 compares it: case-insensitive, `application/` left out. */
export function normalizeTyp (typ: string): string {
  const lower = typ.toLowerCase()
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower
}

/** Distinct `typ` values logged as a hint to the operator, at most. */
const TYP_HINTS = 16

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
    const types = settings.tokenTypes === false ? undefined : new Set(settings.tokenTypes.map(normalizeTyp))
    const hinted = new Set<string>()
    /** RFC 9068 §4: the resource server MUST check `typ`, so that no other JWT of the issuer passes for an access token. */
    function checkTyp (typ: unknown): void {
      if (types === undefined || (typeof typ === 'string' && types.has(normalizeTyp(typ)))) return
      const shown = typeof typ === 'string' ? JSON.stringify(typ.slice(0, 64)) : 'none'
      if (hinted.size < TYP_HINTS && !hinted.has(shown)) {
        hinted.add(shown)
        app.log.warn({ typ: shown, tokenTypes: settings.tokenTypes },
          'mcp-oauth: refused a JWT whose typ is %s: if your authorization server issues access tokens with it, add it to tokenTypes', shown)
      }
      throw new RefusedHeaderError(`The token is not an access token (typ ${shown}, not ${[...types].join(' or ')})`)
    }
    app.decorateRequest(kToken, null)
    await app.register(fastifyJwt, {
      namespace: JWT_NAMESPACE,
      jwtVerify: VERIFY,
      jwtDecode: 'mcpOAuthJwtDecode',
      jwtSign: 'mcpOAuthJwtSign',
      decoratorName: 'mcpOAuthClaims',
      secret: {
        public: async (_request: FastifyRequest, decoded: unknown) => {
          const { kid, alg, typ } = (decoded as { header: Header }).header
          if (typeof alg !== 'string' || !algorithms.has(alg)) throw new UnknownKeyError(`the algorithm ${String(alg)} is not accepted`)
          checkTyp(typ)
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

  /** A token verified before (the common case): a lookup, no promise on the hot path. */
  known (token: string, expected: ClaimExpectations): Verification | undefined {
    const auth = this.#cacheOf(expected).get(token, Date.now())
    return auth === undefined ? undefined : { ok: true, auth }
  }

  /** Verifies the signature and the claims; a good token is kept for the next requests. */
  async verify (request: FastifyRequest, token: string, expected: ClaimExpectations): Promise<Verification> {
    const now = Date.now()
    const cache = this.#cacheOf(expected)
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
  if (error instanceof RefusedHeaderError) return invalid('invalid_token', error.message)
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
