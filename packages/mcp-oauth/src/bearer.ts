import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { refuse, type Refusal } from './challenge.ts'
import type { Verification } from './claims.ts'
import type { ProtectedEndpoint } from './endpoints.ts'
import type { ScopePolicy } from './scopes.ts'

/** The b64token of RFC 6750 §2.1. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** Checks a token for an endpoint: a JWT locally, or an opaque token by introspection. */
export type TokenCheck = (request: FastifyRequest, token: string, endpoint: ProtectedEndpoint) => Verification | Promise<Verification>

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
 */
export function createBearerHook (endpoint: ProtectedEndpoint, check: TokenCheck, scopes: ScopePolicy) {
  const metadataUrl = endpoint.resource.metadataUrl

  function accept (request: FastifyRequest, reply: FastifyReply, verification: Verification, done: HookHandlerDoneFunction): void {
    if (!verification.ok) {
      refuse(reply, { ...verification.refusal, scopes: scopes.required }, metadataUrl)
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

  // A callback hook: a token verified before is accepted without a promise.
  return function checkBearerToken (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (tokenInQuery(request)) {
      refuse(reply, { reason: 'token_in_query', error: 'invalid_request', description: 'Access tokens must not be sent in the query string', scopes: scopes.required }, metadataUrl)
      return
    }
    const bearer = readBearer(request.headers.authorization)
    if (!('token' in bearer)) {
      refuse(reply, { ...bearer, scopes: scopes.required }, metadataUrl)
      return
    }
    let verification
    try {
      verification = check(request, bearer.token, endpoint)
    } catch (error) {
      done(error as Error)
      return
    }
    if ('then' in verification) verification.then((result) => accept(request, reply, result, done), done)
    else accept(request, reply, verification, done)
  }
}
