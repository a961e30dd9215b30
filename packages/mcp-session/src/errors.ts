import { createError } from '@fastify/error'

export const FST_MCP_SESSION_INVALID_OPTIONS = createError<[string]>(
  'FST_MCP_SESSION_INVALID_OPTIONS', 'Invalid mcp-session options: %s')
export const FST_MCP_SESSION_LIMIT = createError<[number]>(
  'FST_MCP_SESSION_LIMIT', 'Too many sessions: the limit of %s live sessions is reached, try again later', 503)

export const FST_MCP_SESSION_PRINCIPAL_LIMIT = createError<[number]>(
  'FST_MCP_SESSION_PRINCIPAL_LIMIT', 'Too many sessions: the limit of %s live sessions per principal is reached; end one first', 429)
export const FST_MCP_SESSION_STREAM_LIMIT = createError<[number]>(
  'FST_MCP_SESSION_STREAM_LIMIT', 'Too many streams: the limit of %s open streams for this session is reached', 429)
export const FST_MCP_SESSION_UNAVAILABLE = createError(
  'FST_MCP_SESSION_UNAVAILABLE', 'Session store unavailable, try again shortly', 503)

export const FST_MCP_SESSION_EVENTS_GONE = createError(
  'FST_MCP_SESSION_EVENTS_GONE', 'Events after this Last-Event-ID are no longer kept (past the event log\'s bounds): retry the request', 410)
export const FST_MCP_SESSION_REDIS_UNREACHABLE = createError<[string]>(
  'FST_MCP_SESSION_REDIS_UNREACHABLE', 'Redis did not answer at boot: %s')

export const errorCodes = {
  FST_MCP_SESSION_EVENTS_GONE,
  FST_MCP_SESSION_REDIS_UNREACHABLE,
  FST_MCP_SESSION_INVALID_OPTIONS,
  FST_MCP_SESSION_LIMIT,
  FST_MCP_SESSION_PRINCIPAL_LIMIT,
  FST_MCP_SESSION_STREAM_LIMIT,
  FST_MCP_SESSION_UNAVAILABLE
}
