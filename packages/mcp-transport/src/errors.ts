import { createError } from '@fastify/error'
import { ErrorCode, type JSONRPCErrorResponse, type RequestId } from '@mcp-fastify/mcp-protocol'
import type { FastifyError } from 'fastify'

export const FST_MCP_TRANSPORT_INVALID_OPTIONS = createError<[string]>(
  'FST_MCP_TRANSPORT_INVALID_OPTIONS', 'Invalid mcp-transport options: %s')
export const FST_MCP_TRANSPORT_SESSIONS_SHARED = createError<[string]>(
  'FST_MCP_TRANSPORT_SESSIONS_SHARED',
  'The mcp-session plugin of this context already serves the endpoint %s: register one mcp-session per endpoint')

export const FST_MCP_TRANSPORT_NOT_ACCEPTABLE = createError<[string]>(
  'FST_MCP_TRANSPORT_NOT_ACCEPTABLE', 'Not Acceptable: the client must accept %s', 406)
export const FST_MCP_TRANSPORT_UNSUPPORTED_MEDIA_TYPE = createError(
  'FST_MCP_TRANSPORT_UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type: the body must be application/json', 415)
export const FST_MCP_TRANSPORT_UNSUPPORTED_VERSION = createError<[string, string]>(
  'FST_MCP_TRANSPORT_UNSUPPORTED_VERSION', 'Bad Request: unsupported MCP-Protocol-Version "%s" (supported: %s)', 400)
export const FST_MCP_TRANSPORT_SESSION_REQUIRED = createError(
  'FST_MCP_TRANSPORT_SESSION_REQUIRED', 'Bad Request: the Mcp-Session-Id header is required', 400)
export const FST_MCP_TRANSPORT_SESSION_NOT_FOUND = createError(
  'FST_MCP_TRANSPORT_SESSION_NOT_FOUND', 'Session not found', 404)
export const FST_MCP_TRANSPORT_INVALID_MESSAGE = createError<[string]>(
  'FST_MCP_TRANSPORT_INVALID_MESSAGE', '%s', 400)
export const FST_MCP_TRANSPORT_FORBIDDEN = createError<[string]>(
  'FST_MCP_TRANSPORT_FORBIDDEN', 'Forbidden: %s', 403)
export const FST_MCP_TRANSPORT_METHOD_NOT_ALLOWED = createError<[string]>(
  'FST_MCP_TRANSPORT_METHOD_NOT_ALLOWED', 'Method Not Allowed: %s', 405)
export const FST_MCP_TRANSPORT_INVALID_EVENT_ID = createError(
  'FST_MCP_TRANSPORT_INVALID_EVENT_ID', 'Bad Request: Last-Event-ID is not an event id of this server', 400)

export const FST_MCP_TRANSPORT_TOO_MANY_REQUESTS = createError<[number]>(
  'FST_MCP_TRANSPORT_TOO_MANY_REQUESTS', 'Too many requests: the limit of %s requests in flight for this session is reached', 429)
export const FST_MCP_TRANSPORT_TOO_MANY_CONNECTIONS = createError<[number]>(
  'FST_MCP_TRANSPORT_TOO_MANY_CONNECTIONS', 'Too many HTTP+SSE connections: the limit of %s is reached, try again later', 503)

// The 2026-07-28 refusals: each has its own JSON-RPC code, so a dual-era client reads a modern server.
export const FST_MCP_TRANSPORT_HEADER_MISMATCH = createError<[string]>(
  'FST_MCP_TRANSPORT_HEADER_MISMATCH', 'Bad Request: %s', 400)
export const FST_MCP_TRANSPORT_INVALID_ENVELOPE = createError<[string]>(
  'FST_MCP_TRANSPORT_INVALID_ENVELOPE', 'Invalid params: %s', 400)
export const FST_MCP_TRANSPORT_UNSUPPORTED_ENVELOPE_VERSION = createError<[string]>(
  'FST_MCP_TRANSPORT_UNSUPPORTED_ENVELOPE_VERSION', 'Unsupported protocol version "%s"', 400)

export const errorCodes = {
  FST_MCP_TRANSPORT_INVALID_OPTIONS,
  FST_MCP_TRANSPORT_SESSIONS_SHARED,
  FST_MCP_TRANSPORT_NOT_ACCEPTABLE,
  FST_MCP_TRANSPORT_UNSUPPORTED_MEDIA_TYPE,
  FST_MCP_TRANSPORT_UNSUPPORTED_VERSION,
  FST_MCP_TRANSPORT_SESSION_REQUIRED,
  FST_MCP_TRANSPORT_SESSION_NOT_FOUND,
  FST_MCP_TRANSPORT_INVALID_MESSAGE,
  FST_MCP_TRANSPORT_FORBIDDEN,
  FST_MCP_TRANSPORT_METHOD_NOT_ALLOWED,
  FST_MCP_TRANSPORT_INVALID_EVENT_ID,
  FST_MCP_TRANSPORT_TOO_MANY_REQUESTS,
  FST_MCP_TRANSPORT_TOO_MANY_CONNECTIONS,
  FST_MCP_TRANSPORT_HEADER_MISMATCH,
  FST_MCP_TRANSPORT_INVALID_ENVELOPE,
  FST_MCP_TRANSPORT_UNSUPPORTED_ENVELOPE_VERSION
}

/** The JSON-RPC code of an error that ends an HTTP request, by its Fastify error code. */
const rpcCodes: Record<string, number> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.ParseError,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.ParseError,
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.InvalidRequest,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.InvalidRequest,
  FST_MCP_TRANSPORT_INVALID_MESSAGE: ErrorCode.InvalidRequest,
  FST_MCP_TRANSPORT_SESSION_NOT_FOUND: ErrorCode.SessionNotFound,
  FST_MCP_TRANSPORT_HEADER_MISMATCH: ErrorCode.HeaderMismatch,
  FST_MCP_TRANSPORT_INVALID_ENVELOPE: ErrorCode.InvalidParams,
  FST_MCP_TRANSPORT_UNSUPPORTED_ENVELOPE_VERSION: ErrorCode.UnsupportedProtocolVersion
}

const messages: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'Parse error: the body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Parse error: the body is empty',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Media Type: the body must be application/json'
}

/** An error with the JSON-RPC id of the request it answers, when that could be read, and its `data`. */
export interface McpHttpError extends FastifyError {
  requestId?: RequestId
  rpcData?: unknown
}

/** Marks `error` as the answer to request `id` (when known), with `data` for the JSON-RPC error. */
export function answering<E extends McpHttpError> (error: E, id: RequestId | undefined, data?: unknown): E {
  if (id !== undefined) error.requestId = id
  if (data !== undefined) error.rpcData = data
  return error
}

/**
 * The one place where an error that ends an HTTP request on the MCP endpoint becomes a
 * JSON-RPC error body: client errors keep their message, server errors say nothing more than
 * "Internal error" (no stack, no detail, on the wire).
 */
export function toJsonRpcError (error: McpHttpError): { status: number, body: JSONRPCErrorResponse } {
  // An HTTP error status Fastify can send: reply.code() throws past 599, and then the client would
  // get Fastify's envelope instead of a JSON-RPC error.
  const own = error.statusCode
  const status = typeof own === 'number' && Number.isInteger(own) && own >= 400 && own <= 599 ? own : 500
  // 503 is a refusal (a limit reached, a store away), not a failure of the server: said as such, like 4xx.
  const failed = status >= 500 && status !== 503
  // Own members only: an error code such as `constructor` must not read what every object inherits.
  const code = (Object.hasOwn(rpcCodes, error.code) ? rpcCodes[error.code] : undefined) ??
    (failed ? ErrorCode.InternalError : ErrorCode.ConnectionClosed)
  const message = failed ? 'Internal error' : ((Object.hasOwn(messages, error.code) ? messages[error.code] : undefined) ?? error.message)
  const rpcError = failed || error.rpcData === undefined ? { code, message } : { code, message, data: error.rpcData }
  const body: JSONRPCErrorResponse = error.requestId === undefined
    ? { jsonrpc: '2.0', error: rpcError }
    : { jsonrpc: '2.0', id: error.requestId, error: rpcError }
  return { status, body }
}
