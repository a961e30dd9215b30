import { exposeMcpHeaders } from '@mcp-fastify/mcp-transport'
import type { FastifyReply } from 'fastify'
import { authRefusedChannel, type AuthRefusalReason, type AuthRefusedEvent } from './channels.ts'

/** The `error` codes of RFC 6750 §3.1. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

/** Why a request is refused, before it becomes a response. */
export interface Refusal {
  reason: AuthRefusalReason
  error: BearerErrorCode
  description: string
  /** The scopes the request needs (`scope` of the challenge); none to leave it out. */
  scopes?: readonly string[]
}

const STATUS: Record<BearerErrorCode, number> = { invalid_request: 400, invalid_token: 401, insufficient_scope: 403 }

/** A quoted-string of RFC 9110 §5.6.4: backslash and double quote escaped, control characters dropped. */
function quoted (value: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${value.replace(/[\x00-\x1f\x7f]/g, '').replace(/["\\]/g, '\\$&')}"`
}

/**
 * Whether a resource server may ask for `scope`: not `offline_access`, which is between a client
 * and its authorization server (2026-07-28, authorization: "Scope Selection").
 */
export function advertisable (scope: string): boolean {
  return scope !== 'offline_access'
}

/** The `WWW-Authenticate` value of a refusal (RFC 6750 §3, RFC 9728 §5.1). */
export function bearerChallenge (refusal: Refusal, metadataUrl: string): string {
  const parts = [
    `error=${quoted(refusal.error)}`,
    `error_description=${quoted(refusal.description)}`,
    `resource_metadata=${quoted(metadataUrl)}`
  ]
  const scopes = refusal.scopes?.filter(advertisable) ?? []
  if (scopes.length > 0) parts.push(`scope=${quoted(scopes.join(' '))}`)
  return `Bearer ${parts.join(', ')}`
}

/**
 * The one place where an auth failure becomes a response: 400, 401 or 403 with
 * `WWW-Authenticate: Bearer error, error_description, resource_metadata, scope` and the body
 * `{ error, error_description }` (RFC 6750 §3; MCP authorization: "Error Handling").
 */
export function refuse (reply: FastifyReply, refusal: Refusal, metadataUrl: string): FastifyReply {
  const statusCode = STATUS[refusal.error]
  if (authRefusedChannel.hasSubscribers) {
    authRefusedChannel.publish({ reason: refusal.reason, statusCode } satisfies AuthRefusedEvent)
  }
  reply.request.log.info({ reason: refusal.reason, statusCode }, 'MCP request refused: %s', refusal.description)
  // Browser clients must be able to read the challenge when the app answers with CORS.
  exposeMcpHeaders(reply)
  return reply
    .code(statusCode)
    .header('www-authenticate', bearerChallenge(refusal, metadataUrl))
    .header('cache-control', 'no-store')
    .send({ error: refusal.error, error_description: refusal.description })
}
