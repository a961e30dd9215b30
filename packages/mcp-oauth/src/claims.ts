import type { Refusal } from './challenge.ts'
import { audienceMatches } from './resource.ts'

/** What mcp-oauth established about the request's access token (`request.mcpAuth`). */
export interface McpAuthInfo {
  /** Who the request is from: the token's `sub`, or its `client_id` when it has no subject. */
  principal: string
  subject: string | undefined
  clientId: string | undefined
  /** The scopes the token grants. */
  scopes: readonly string[]
  issuer: string
  /** Seconds since the epoch, when the token says. */
  expiresAt: number | undefined
  /** Every claim of the token (or of the introspection answer). The token itself is not kept: never pass it on. */
  claims: Readonly<Record<string, unknown>>
}

export type Verification = { ok: true, auth: McpAuthInfo } | { ok: false, refusal: Refusal }

export interface ClaimExpectations {
  issuer: string
  /** Canonical audiences accepted; `undefined` when the audience is not checked. */
  audiences: ReadonlySet<string> | undefined
  /** The canonical resource URI, for the refusal's description. */
  resource: string
}

export function invalid (reason: Refusal['reason'], description: string): Verification {
  return { ok: false, refusal: { reason, error: 'invalid_token', description } }
}

/** Scopes from `scope` (RFC 8693 §4.2: space-separated), or `scp` (a list, as some issuers write it). */
function scopesOf (claims: Record<string, unknown>): string[] {
  if (typeof claims.scope === 'string') return claims.scope.split(' ').filter((scope) => scope !== '')
  if (Array.isArray(claims.scp)) return claims.scp.filter((scope): scope is string => typeof scope === 'string')
  if (typeof claims.scp === 'string') return claims.scp.split(' ').filter((scope) => scope !== '')
  return []
}

/**
 * The checks that follow a valid signature (or an active introspection answer): the issuer is
 * the configured one, the token was issued for this resource (RFC 8707, RFC 9068 §4), and it names
 * someone. Expiry is checked by the verifier, with the clock skew.
 */
export function checkClaims (claims: Record<string, unknown>, expected: ClaimExpectations): Verification {
  if (claims.iss !== expected.issuer) return invalid('wrong_issuer', 'The token was not issued by the trusted authorization server')
  if (expected.audiences !== undefined && !audienceMatches(claims.aud, expected.audiences)) {
    return invalid('wrong_audience', `The token was not issued for ${expected.resource}`)
  }
  const subject = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined
  const clientId = typeof claims.client_id === 'string' && claims.client_id !== '' ? claims.client_id : undefined
  const principal = subject ?? clientId
  if (principal === undefined) return invalid('invalid_token', 'The token names no subject and no client')
  return {
    ok: true,
    auth: {
      principal,
      subject,
      clientId,
      scopes: scopesOf(claims),
      issuer: expected.issuer,
      expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined,
      claims
    }
  }
}
