/**
 * The events of mcp-oauth, which this plugin subscribes to by name (no import of it): the shapes
 * it publishes on `mcp-fastify:auth:refused` and `mcp-fastify:rate-limited`.
 */

/** `mcp-fastify:auth:refused`, published by mcp-oauth (subscribed by name: no import of it). */
export interface AuthRefusedEvent {
  reason: string
  statusCode: number
}

/** `mcp-fastify:rate-limited`, published by mcp-oauth. */
export interface RateLimitedEvent {
  /** Who ran out of budget: never a label. */
  key: string
  tool: string | undefined
}
