import { createError } from '@fastify/error'

/** JSON-RPC 2.0 and MCP error codes, as they appear on the wire. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Implementation-defined: the transport refused the request (headers, limits, state). */
  ConnectionClosed: -32000,
  /** Implementation-defined: the session named by `Mcp-Session-Id` does not exist (any more). */
  SessionNotFound: -32001,
  /**
   * Implementation-defined (2025 revisions): a request to the client was not answered in time, or
   * a handler ran past the server's time limit. 2026-07-28 traffic gets -32603 instead.
   */
  RequestTimeout: -32003,
  /**
   * Implementation-defined (2025 revisions): the server node answering the request went away (it
   * stopped, or lost the cluster) before it answered; the request may or may not have run, and
   * may be retried. Sent on the request's stream when the client resumes it on another node.
   */
  NodeGone: -32004,
  /** 2025 revisions: `resources/read` of a URI nothing serves (2026-07-28 uses -32602). */
  ResourceNotFound: -32002,
  /** 2026-07-28: a mirrored header (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`) disagrees with the body, or is missing or malformed. */
  HeaderMismatch: -32020,
  /** 2026-07-28: the request needs a client capability its `_meta` does not declare (`data.requiredCapabilities`). */
  MissingRequiredClientCapability: -32021,
  /** 2026-07-28: the protocol version named by the request is not served here (`data.supported`, `data.requested`). */
  UnsupportedProtocolVersion: -32022
} as const

export type ErrorCodeValue = typeof ErrorCode[keyof typeof ErrorCode]

/**
 * An error meant for the wire: it becomes a JSON-RPC error response with this code, message and
 * data. Any other error thrown by a handler becomes `-32603 Internal error`, with no detail.
 */
export class McpError extends Error {
  readonly code: number
  readonly data: unknown

  constructor (code: number, message: string, data?: unknown) {
    super(message)
    this.name = 'McpError'
    this.code = code
    this.data = data
  }
}

/**
 * A failure whose message is meant for the client: a tool that throws it returns an `isError`
 * result with the message (the model can read it and try otherwise); a resource, prompt or
 * completion handler that throws it gets a -32603 error with the message. Anything else a
 * handler throws is logged and reported to `onError`, and the client learns nothing of it.
 */
export class UserError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UserError'
  }
}

/** Programmer errors, thrown when something is registered, never sent on the wire. */
export const FST_MCP_PROTOCOL_DUPLICATE = createError<[string, string]>(
  'FST_MCP_PROTOCOL_DUPLICATE', 'A %s named "%s" is already registered')
export const FST_MCP_PROTOCOL_INVALID_DEFINITION = createError<[string]>(
  'FST_MCP_PROTOCOL_INVALID_DEFINITION', 'Invalid definition: %s')
export const FST_MCP_PROTOCOL_CLIENT_CAPABILITY = createError<[string, string]>(
  'FST_MCP_PROTOCOL_CLIENT_CAPABILITY', 'The client did not declare the "%s" capability needed for %s')
export const FST_MCP_PROTOCOL_NO_CHANNEL = createError<[string]>(
  'FST_MCP_PROTOCOL_NO_CHANNEL', 'Cannot send %s: the request has no channel back to the client')
export const FST_MCP_PROTOCOL_NO_INPUT = createError<[string, string]>(
  'FST_MCP_PROTOCOL_NO_INPUT',
  'Cannot send %s while answering %s: on 2026-07-28 traffic the client is asked for input only by tools/call, prompts/get and resources/read (an input_required result)')
/** A handler returned what its method's result schema refuses; reported, never sent (the client gets -32603). */
export const FST_MCP_PROTOCOL_INVALID_RESULT = createError<[string, string]>(
  'FST_MCP_PROTOCOL_INVALID_RESULT', '%s returned an invalid result: %s')

export const errorCodes = {
  FST_MCP_PROTOCOL_DUPLICATE,
  FST_MCP_PROTOCOL_INVALID_DEFINITION,
  FST_MCP_PROTOCOL_CLIENT_CAPABILITY,
  FST_MCP_PROTOCOL_NO_CHANNEL,
  FST_MCP_PROTOCOL_NO_INPUT,
  FST_MCP_PROTOCOL_INVALID_RESULT
}
