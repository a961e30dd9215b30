import { createError } from '@fastify/error'

/** Programmer errors: thrown when the plugin is registered or the app gets ready, never sent on the wire. */
export const FST_MCP_OAUTH_INVALID_OPTIONS = createError<[string]>(
  'FST_MCP_OAUTH_INVALID_OPTIONS', 'Invalid mcp-oauth options: %s')
export const FST_MCP_OAUTH_REGISTERED_AFTER_TRANSPORT = createError(
  'FST_MCP_OAUTH_REGISTERED_AFTER_TRANSPORT',
  'mcp-oauth must be registered before mcp-transport in the same context: the endpoint is already there, unprotected')
export const FST_MCP_OAUTH_NO_ENDPOINT = createError(
  'FST_MCP_OAUTH_NO_ENDPOINT',
  'mcp-oauth protects no MCP endpoint: register mcp-transport after it, in the same context or a child one')
export const FST_MCP_OAUTH_RESOURCE_AMBIGUOUS = createError<[string, string]>(
  'FST_MCP_OAUTH_RESOURCE_AMBIGUOUS',
  'The resource %s names one endpoint, but this mcp-oauth also protects %s: give an origin as resource (each endpoint then gets its own path), or one mcp-oauth per endpoint')

/**
 * Failures to reach the authorization server: the request cannot be checked (503, a JSON-RPC
 * error, with `Retry-After`). The message is the same whatever the cause: the cause is logged.
 */
export const FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE = createError(
  'FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE', 'Service Unavailable: the authorization server cannot be reached', 503)

/** A `tools/call` (or any request) over its budget: 429 with `Retry-After`, as a JSON-RPC error. */
export const FST_MCP_OAUTH_RATE_LIMITED = createError<[number]>(
  'FST_MCP_OAUTH_RATE_LIMITED', 'Too Many Requests: retry in %d s', 429)

/**
 * Too many refused tokens from the client's address: tokens this node has not verified before are
 * not checked until the window ends (429 with `Retry-After`, a JSON-RPC error).
 */
export const FST_MCP_OAUTH_TOO_MANY_INVALID_TOKENS = createError<[number]>(
  'FST_MCP_OAUTH_TOO_MANY_INVALID_TOKENS', 'Too Many Requests: too many invalid tokens from this address; retry in %d s', 429)

export const errorCodes = {
  FST_MCP_OAUTH_INVALID_OPTIONS,
  FST_MCP_OAUTH_REGISTERED_AFTER_TRANSPORT,
  FST_MCP_OAUTH_NO_ENDPOINT,
  FST_MCP_OAUTH_RESOURCE_AMBIGUOUS,
  FST_MCP_OAUTH_AUTHORIZATION_SERVER_UNAVAILABLE,
  FST_MCP_OAUTH_RATE_LIMITED,
  FST_MCP_OAUTH_TOO_MANY_INVALID_TOKENS
}
