import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { requestChannel, type McpRequestEvent } from '@mcp-fastify/mcp-protocol'
import type { SessionCloseEvent, SessionOpenEvent, StreamResumeEvent } from '@mcp-fastify/mcp-session'
import type { RefusedEvent, SseEvent } from '@mcp-fastify/mcp-transport'
import type { Span } from '@opentelemetry/api'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { errorTypeOf, type Labeller, type TargetLabels } from './labels.ts'
import type { Instruments } from './metrics.ts'
import { httpRequestOf, type Tracing } from './tracing.ts'

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

/** A request's tracing-channel context, which carries each observer's state from `start` to `asyncEnd`. */
type Tracked = McpRequestEvent & Record<symbol, unknown>

/** On the Fastify request: the labels of the one MCP request it carried, for its response size. */
export const kLabels = Symbol('mcp-metrics.labels')
declare module 'fastify' {
  interface FastifyRequest {
    [kLabels]: TargetLabels | null
  }
}

/**
 * Subscribes to what the other plugins publish on `node:diagnostics_channel` and turns it into
 * metrics and spans. Channels are process-wide: every MCP endpoint of the process is observed.
 * A failing observer must never fail a request: what throws is logged and dropped.
 */
export class Observer {
  readonly #m: Instruments
  readonly #labeller: Labeller
  readonly #tracing: Tracing | undefined
  readonly #log: FastifyBaseLogger
  readonly #named: Array<[string, (message: unknown) => void]>
  /** Per observer, so that two apps observing the same requests do not mix their state. */
  readonly #kStart = Symbol('mcp-metrics.start')
  readonly #kSpan = Symbol('mcp-metrics.span')
  #subscribed = false

  constructor (instruments: Instruments, labeller: Labeller, tracing: Tracing | undefined, log: FastifyBaseLogger) {
    this.#m = instruments
    this.#labeller = labeller
    this.#tracing = tracing
    this.#log = log
    this.#named = [
      ['mcp-fastify:session:open', this.#guard(this.#sessionOpen)],
      ['mcp-fastify:session:close', this.#guard(this.#sessionClose)],
      ['mcp-fastify:stream:resume', this.#guard(this.#streamResume)],
      ['mcp-fastify:sse:open', this.#guard(this.#sseOpen)],
      ['mcp-fastify:sse:close', this.#guard(this.#sseClose)],
      ['mcp-fastify:http:refused', this.#guard(this.#refused)],
      ['mcp-fastify:auth:refused', this.#guard(this.#authRefused)],
      ['mcp-fastify:rate-limited', this.#guard(this.#rateLimited)]
    ]
  }

  subscribe (): void {
    if (this.#subscribed) return
    this.#subscribed = true
    // Only the two events used: every subscribed one costs each request a publish.
    requestChannel.start.subscribe(this.#requestStart)
    requestChannel.asyncEnd.subscribe(this.#requestEnd)
    for (const [name, listener] of this.#named) subscribe(name, listener)
  }

  unsubscribe (): void {
    if (!this.#subscribed) return
    this.#subscribed = false
    requestChannel.start.unsubscribe(this.#requestStart)
    requestChannel.asyncEnd.unsubscribe(this.#requestEnd)
    for (const [name, listener] of this.#named) unsubscribe(name, listener)
  }

  /** The `onResponse` hook: the size of a JSON answer to one MCP request. */
  readonly onResponse = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const labels = request[kLabels]
    if (labels !== null) {
      const length = reply.getHeader('content-length')
      // No Content-Length: an SSE answer (its size is not known up front) or no body (204).
      if (length !== undefined) this.#safely(() => this.#m.responseSize.observe(labels, Number(length)))
    }
    done()
  }

  readonly #requestStart = (message: unknown): void => {
    const event = message as Tracked
    try {
      event[this.#kStart] = performance.now()
      this.#m.operationsActive.inc()
      const span = this.#tracing?.start(event)
      if (span !== undefined) event[this.#kSpan] = span
    } catch (error) {
      this.#failed(error)
    }
  }

  readonly #requestEnd = (message: unknown): void => {
    const event = message as Tracked
    try {
      const started = event[this.#kStart] as number | undefined
      if (started === undefined) return
      this.#m.operationsActive.dec()
      const seconds = (performance.now() - started) / 1000
      const labels = this.#labeller.targetOf(event)
      const errorType = errorTypeOf(event)
      this.#m.operationDuration.observe(errorType === undefined ? labels : { ...labels, error_type: errorType }, seconds)
      const request = httpRequestOf(event)
      // One HTTP body per MCP request: a batch's size belongs to none of its requests.
      if (request !== undefined && !Array.isArray(request.body)) {
        const length = request.headers['content-length']
        if (length !== undefined) this.#m.requestSize.observe(labels, Number(length))
        request[kLabels] = labels
      }
      const span = event[this.#kSpan] as Span | undefined
      if (span !== undefined) this.#tracing!.end(event, span)
    } catch (error) {
      this.#failed(error)
    }
  }

  readonly #sessionOpen = (event: SessionOpenEvent): void => {
    this.#m.sessionsActive.inc()
    this.#m.sessionsOpened.inc({ mcp_protocol_version: event.protocolVersion })
  }

  readonly #sessionClose = (event: SessionCloseEvent): void => {
    this.#m.sessionsActive.dec()
    this.#m.sessionsClosed.inc({ reason: event.reason })
    if (event.durationMs !== undefined) this.#m.sessionDuration.observe({ reason: event.reason }, event.durationMs / 1000)
  }

  readonly #streamResume = (event: StreamResumeEvent): void => {
    this.#m.streamResumptions.inc()
    if (event.replayed > 0) this.#m.replayedEvents.inc(event.replayed)
  }

  readonly #sseOpen = (event: SseEvent): void => {
    this.#m.streamsActive.inc({ kind: event.kind })
    this.#m.streamsOpened.inc({ kind: event.kind })
  }

  readonly #sseClose = (event: SseEvent): void => {
    this.#m.streamsActive.dec({ kind: event.kind })
  }

  readonly #refused = (event: RefusedEvent): void => {
    this.#m.httpRefused.inc({
      http_response_status_code: event.statusCode,
      error_type: event.code,
      http_request_method: event.httpMethod
    })
  }

  readonly #authRefused = (event: AuthRefusedEvent): void => {
    this.#m.authFailures.inc({ reason: event.reason, http_response_status_code: event.statusCode })
  }

  readonly #rateLimited = (event: RateLimitedEvent): void => {
    this.#m.rateLimited.inc({ gen_ai_tool_name: this.#labeller.tool(event.tool) })
  }

  #guard<E> (listener: (event: E) => void): (message: unknown) => void {
    return (message) => this.#safely(() => listener(message as E))
  }

  #safely (work: () => void): void {
    try {
      work()
    } catch (error) {
      this.#failed(error)
    }
  }

  #failed (error: unknown): void {
    this.#log.error({ err: error }, 'mcp-metrics: an observer failed')
  }
}
