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

/**
 * One task run by this node (tasks extension), on the tracing channel `mcp-fastify:task`:
 * `start` when it is created (its `tools/call` is answered with it), `asyncEnd` when it ended
 * here, with its final status. Nothing is built or published while nobody subscribes.
 */
export interface McpTaskEvent {
  taskId: string
  tool: string
  /** The `_meta` of the request that created it (trace context). */
  meta: Record<string, unknown> | undefined
  /** What the transport passed along with the request that created it (the Fastify request). */
  extra: object
  /** Set before `asyncEnd`. */
  status?: 'completed' | 'failed' | 'cancelled'
  /**
   * Set before `asyncEnd` when it did not complete cleanly: `tool_error` (completed, `isError`),
   * the JSON-RPC code it failed with, `expired` (its TTL ran out), `shutdown` (its node closed).
   */
  errorType?: string
}

export const taskChannel = tracingChannel<unknown, McpTaskEvent>('mcp-fastify:task')

/**
 * A task that ended without its node: failed because the node running it went away (`node_gone`),
 * or because its TTL ran out while nothing ran it (`expired`), found by the node that published
 * this on `mcp-fastify:task:ended`.
 */
export interface TaskEndedEvent {
  taskId: string
  tool: string
  status: 'failed'
  errorType: 'node_gone' | 'expired'
}

export const taskEndedChannel = channel('mcp-fastify:task:ended')
