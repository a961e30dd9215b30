import { createError } from '@fastify/error'

export const FST_MCP_METRICS_INVALID_OPTIONS = createError<[string]>(
  'FST_MCP_METRICS_INVALID_OPTIONS', 'Invalid mcp-metrics options: %s')
export const FST_MCP_METRICS_UNDER_PRESSURE = createError(
  'FST_MCP_METRICS_UNDER_PRESSURE', 'Service Unavailable: the server is under pressure, try again later', 503)

export const errorCodes = {
  FST_MCP_METRICS_INVALID_OPTIONS,
  FST_MCP_METRICS_UNDER_PRESSURE
}
