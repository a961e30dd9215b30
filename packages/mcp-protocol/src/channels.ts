import { tracingChannel } from 'node:diagnostics_channel'
import type { ClientSession } from './session.ts'

/**
 * What the engine tells observers (metrics, traces) about each request it answers, through
 * `node:diagnostics_channel`: a tracing channel `mcp-fastify:request` (`start`, `end`,
 * `asyncStart`, `asyncEnd`; the engine never throws, so no `error`). Nothing is built or
 * published while nobody subscribes.
 */
export interface McpRequestEvent {
  method: string
  /** The tool or prompt name, or the resource URI, the request is about. */
  target: string | undefined
  requestId: string | number
  session: ClientSession
  /** The request's `_meta` (trace context: `traceparent`, `tracestate`). */
  meta: Record<string, unknown> | undefined
  /** What the transport passed along (the Fastify request). */
  extra: object
  /** Set before `asyncEnd`: how it ended. `tool_error` is a tool result with `isError`. */
  outcome?: 'ok' | 'tool_error' | 'error' | 'cancelled'
  /** Set with `outcome: 'error'`: the JSON-RPC error code. */
  errorCode?: number
}

export const requestChannel = tracingChannel<unknown, McpRequestEvent>('mcp-fastify:request')
