import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { isUnavailable } from './backoff.ts'
import { refuse, type Refusal } from './challenge.ts'
import { rateLimitedChannel, type RateLimitedEvent } from './channels.ts'
import type { Verification } from './claims.ts'
import type { ProtectedEndpoint } from './endpoints.ts'
import { FST_MCP_OAUTH_TOO_MANY_INVALID_TOKENS } from './errors.ts'
import { addressKey, type InvalidTokenBudget } from './invalid-tokens.ts'
import type { ScopePolicy } from './scopes.ts'

/** The b64token of RFC 6750 §2.1. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** How tokens are checked for an endpoint: a JWT locally, or an opaque token by introspection. */
export interface TokenCheck {
  /** The verdict already known (cached) for this token, at the cost of a lookup; `undefined` when it must be checked. */
  known (token: string, endpoint: ProtectedEndpoint): Verification | undefined
  /** Checks the token: a signature, or a call to the issuer. */
  verify (request: FastifyRequest, token: string, endpoint: ProtectedEndpoint): Promise<Verification>
}

/** What the bearer check needs beside the endpoint. */
export interface BearerGuard {
  check: TokenCheck
  scopes: ScopePolicy
  /** The budget of refused tokens per client address; `undefined` when off. */
  invalidTokens: InvalidTokenBudget | undefined
}

/**
 * The token of `Authorization: Bearer <token>` (RFC 6750 §2.1), or why there is none: no header
 * (or another scheme) is a missing token; `Bearer` with anything but one b64token is malformed.
 */
export function readBearer (header: string | undefined): { token: string } | Refusal {
  if (header === undefined || header === '') return { reason: 'missing_token', error: 'invalid_token', description: 'No bearer token: send Authorization: Bearer <access token>' }
  const space = header.indexOf(' ')
  const scheme = space === -1 ? header : header.slice(0, space)
  if (scheme.toLowerCase() !== 'bearer') {
    return { reason: 'missing_token', error: 'invalid_token', description: 'No bearer token: the Authorization header uses another scheme' }
  }
  const token = space === -1 ? '' : header.slice(space + 1).trim()
  if (!B64TOKEN.test(token)) return { reason: 'malformed', error: 'invalid_token', description: 'Malformed Authorization header: expected Bearer <token>' }
  return { token }
}

/** RFC 6750 §2.3 puts tokens in `access_token`; MCP clients MUST NOT, and this server refuses them. */
function tokenInQuery (request: FastifyRequest): boolean {
  const url = request.url
  const start = url.indexOf('?')
  if (start === -1) return false
  const query = request.query
  return typeof query === 'object' && query !== null && 'access_token' in query
}

/**
 * The `onRequest` hook of an endpoint's routes: every request (POST, GET, DELETE) must carry a
 * valid bearer token issued for this resource by the trusted issuer, with the endpoint's required
 * scopes. Otherwise the request ends here with the challenge (RFC 6750 §3, RFC 9728 §5.1); else
 * `request.mcpAuth` and `request.mcpPrincipal` say who it is from.
 *
 * In this order: a token verified before is accepted from the cache; an address that presented
 * too many refused tokens gets 429 for any other; only then is the token checked (a signature, an
 * introspection call), and a refusal is counted against the address.
 */
export function createBearerHook (endpoint: ProtectedEndpoint, guard: BearerGuard) {
  const metadataUrl = endpoint.resource.metadataUrl
  const { check, scopes, invalidTokens } = guard

  function refuseToken (request: FastifyRequest, reply: FastifyReply, refusal: Refusal): void {
    if (invalidTokens !== undefined) {
      const address = addressKey(request.ip)
      if (invalidTokens.refused(address, Date.now())) {
        request.log.warn({ address }, 'mcp-oauth: too many invalid tokens from this address: new tokens from it are refused (429) until the window ends')
      }
    }
    refuse(reply, { ...refusal, scopes: scopes.challenge }, metadataUrl)
  }

  function accept (request: FastifyRequest, reply: FastifyReply, verification: Verification, done: HookHandlerDoneFunction): void {
    if (!verification.ok) {
      refuseToken(request, reply, verification.refusal)
      return
    }
    const { auth } = verification
    const missing = scopes.missingRequired(auth.scopes)
    if (missing.length > 0) {
      refuse(reply, {
        reason: 'insufficient_scope',
        error: 'insufficient_scope',
        description: `This endpoint needs the scopes ${missing.join(' ')}`,
        scopes: scopes.challengeScopes(auth.scopes, missing)
      }, metadataUrl)
      return
    }
    request.mcpAuth = auth
    request.mcpPrincipal = auth.principal
    done()
  }

  function failed (reply: FastifyReply, error: unknown, done: HookHandlerDoneFunction): void {
    if (isUnavailable(error)) reply.header('retry-after', String(error.retryAfter))
    done(error as Error)
  }

  // A callback hook: a token verified before is accepted without a promise.
  return function checkBearerToken (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (tokenInQuery(request)) {
      refuse(reply, { reason: 'token_in_query', error: 'invalid_request', description: 'Access tokens must not be sent in the query string', scopes: scopes.challenge }, metadataUrl)
      return
    }
    const bearer = readBearer(request.headers.authorization)
    if (!('token' in bearer)) {
      if (bearer.reason === 'missing_token') refuse(reply, { ...bearer, scopes: scopes.challenge }, metadataUrl)
      else refuseToken(request, reply, bearer)
      return
    }
    const { token } = bearer
    const known = check.known(token, endpoint)
    if (known !== undefined) {
      accept(request, reply, known, done)
      return
    }
    if (invalidTokens !== undefined) {
      const address = addressKey(request.ip)
      const wait = invalidTokens.blockedFor(address, Date.now())
      if (wait > 0) {
        const retryAfter = Math.max(1, Math.ceil(wait / 1000))
        if (rateLimitedChannel.hasSubscribers) {
          rateLimitedChannel.publish({ key: `ip:${address}`, tool: undefined, budget: 'invalid_tokens' } satisfies RateLimitedEvent)
        }
        request.log.debug({ address, retryAfter }, 'mcp-oauth: token not checked: too many invalid tokens from this address')
        reply.header('retry-after', String(retryAfter))
        done(new FST_MCP_OAUTH_TOO_MANY_INVALID_TOKENS(retryAfter))
        return
      }
    }
    let verification
    try {
      verification = check.verify(request, token, endpoint)
    } catch (error) {
      failed(reply, error, done)
      return
    }
    verification.then((result) => accept(request, reply, result, done), (error: unknown) => failed(reply, error, done))
  }
}
