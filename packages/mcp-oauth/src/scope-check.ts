import type { FastifyBaseLogger } from 'fastify'
import type { AuthorizationServer } from './discovery.ts'
import type { ScopePolicy } from './scopes.ts'

/**
 * The scopes this resource advertises (`scopes_supported` of its metadata, the `scope` of its 401
 * challenges) that the issuer's metadata does not list in its `scopes_supported`: a client asking
 * for them may be refused (`invalid_scope`), or get a token without them. Logged as a warning;
 * nothing when the issuer lists no scopes, or cannot be reached (that is logged where it fails).
 */
export async function unsupportedScopes (server: AuthorizationServer, scopes: ScopePolicy, log: FastifyBaseLogger): Promise<string[]> {
  const advertised = [...new Set([...scopes.supported, ...scopes.challenge])]
  if (advertised.length === 0) return []
  let metadata
  try {
    metadata = await server.metadata()
  } catch {
    return []
  }
  const listed = metadata.scopes_supported
  if (!Array.isArray(listed)) {
    log.debug({ issuer: server.issuer }, 'mcp-oauth: the issuer lists no scopes_supported: the advertised scopes cannot be checked')
    return []
  }
  const unsupported = advertised.filter((scope) => !listed.includes(scope))
  if (unsupported.length > 0) {
    log.warn({ issuer: server.issuer, scopes: unsupported },
      'mcp-oauth: the protected resource metadata advertises scopes the authorization server does not list in scopes_supported: %s (clients asking for them may be refused with invalid_scope)',
      unsupported.join(' '))
  }
  return unsupported
}
