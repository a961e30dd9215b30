import { channel, tracingChannel } from 'node:diagnostics_channel'
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

/**
 * Something that went wrong inside the plugins where no client is waiting for the answer (a
 * notification that could not be published, a cancellation notice that could not be sent):
 * nothing is silently swallowed. mcp-transport logs these, mcp-metrics counts them.
 */
export interface FailureEvent {
  component: 'protocol' | 'transport' | 'session'
  /** What was being done, e.g. `forward a client message`. */
  action: string
  error: unknown
}

export const failureChannel = channel('mcp-fastify:failure')

/** Publishes a failure for the logs and metrics; returns nothing to await. */
export function reportFailure (component: FailureEvent['component'], action: string, error: unknown): void {
  if (failureChannel.hasSubscribers) failureChannel.publish({ component, action, error } satisfies FailureEvent)
}
