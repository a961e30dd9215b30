import createError from '@fastify/error'

export const FST_MCP_SESSION_INVALID_OPTIONS = createError<[string]>(
  'FST_MCP_SESSION_INVALID_OPTIONS', 'Invalid mcp-session options: %s')
export const FST_MCP_SESSION_LIMIT = createError<[number]>(
  'FST_MCP_SESSION_LIMIT', 'Too many sessions: the limit of %s live sessions is reached, try again later', 503)

export const errorCodes = {
  FST_MCP_SESSION_INVALID_OPTIONS,
  FST_MCP_SESSION_LIMIT
}
