import { channel } from 'node:diagnostics_channel'

/** Why a request to a protected endpoint was refused. */
export type AuthRefusalReason =
  | 'missing_token' | 'malformed' | 'invalid_token' | 'expired'
  | 'wrong_audience' | 'wrong_issuer' | 'insufficient_scope' | 'token_in_query'

/** Published on `mcp-fastify:auth:refused` for every 400/401/403 mcp-oauth answers. */
export interface AuthRefusedEvent {
  reason: AuthRefusalReason
  statusCode: number
}

/** Published on `mcp-fastify:rate-limited` for every request refused with 429. */
export interface RateLimitedEvent {
  /** The rate-limit key: `principal:<sub>`, `session:<id>` or `ip:<address>` (an IPv6 address by its /64). */
  key: string
  /** The tool whose budget ran out; `undefined` for the endpoint's budget and the invalid-token budget. */
  tool: string | undefined
  /** Which budget: the endpoint's, a tool's, or the refused tokens of an address (`invalidTokenLimit`). */
  budget: 'endpoint' | 'tool' | 'invalid_tokens'
}

/**
 * What mcp-oauth tells observers (metrics) through `node:diagnostics_channel`; nothing is built
 * while nobody listens.
 */
export const authRefusedChannel = channel('mcp-fastify:auth:refused')
export const rateLimitedChannel = channel('mcp-fastify:rate-limited')
