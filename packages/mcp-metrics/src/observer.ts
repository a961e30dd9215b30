import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { requestChannel, taskChannel, type FailureEvent, type McpRequestEvent, type McpTaskEvent, type TaskEndedEvent } from '@mcp-fastify/mcp-protocol'
import type { DroppedEvent, SessionCloseEvent, SessionOpenEvent, StreamResumeEvent } from '@mcp-fastify/mcp-session'
import type { RefusedEvent, SseEvent } from '@mcp-fastify/mcp-transport'
import type { Span } from '@opentelemetry/api'
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthRefusedEvent, RateLimitedEvent } from './events.ts'
import { errorTypeOf, type Labeller, type Target } from './labels.ts'
import type { Instruments } from './metrics.ts'
import { httpRequestOf, type Tracing } from './tracing.ts'

/** A request's tracing-channel context, which carries each observer's state from `start` to `asyncEnd`. */
type Tracked = McpRequestEvent & Record<symbol, unknown>

/** On the Fastify request: the labels of the one MCP request it carried, for its response size. */
export const kTarget = Symbol('mcp-metrics.target')
declare module 'fastify' {
  interface FastifyRequest {
    [kTarget]: Target | null | undefined
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
      ['mcp-fastify:rate-limited', this.#guard(this.#rateLimited)],
      ['mcp-fastify:session:dropped', this.#guard(this.#dropped)],
      ['mcp-fastify:failure', this.#guard(this.#failure)],
      ['mcp-fastify:task:ended', this.#guard(this.#taskEnded)]
    ]
  }

  subscribe (): void {
    if (this.#subscribed) return
    this.#subscribed = true
    // Only the two events used: every subscribed one costs each request a publish.
    requestChannel.start.subscribe(this.#requestStart)
    requestChannel.asyncEnd.subscribe(this.#requestEnd)
    taskChannel.start.subscribe(this.#taskStart)
    taskChannel.asyncEnd.subscribe(this.#taskEnd)
    for (const [name, listener] of this.#named) subscribe(name, listener)
  }

  unsubscribe (): void {
    if (!this.#subscribed) return
    this.#subscribed = false
    requestChannel.start.unsubscribe(this.#requestStart)
    requestChannel.asyncEnd.unsubscribe(this.#requestEnd)
    taskChannel.start.unsubscribe(this.#taskStart)
    taskChannel.asyncEnd.unsubscribe(this.#taskEnd)
    for (const [name, listener] of this.#named) unsubscribe(name, listener)
  }

  /**
   * The `onSend` hook: the size of a JSON answer to one MCP request. (Not `onResponse`: with
   * no logger, Fastify sets up response listeners only for routes that have `onResponse` hooks,
   * which would cost every request more than the rest of this plugin.)
   */
  readonly onSend = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void => {
    const target = request[kTarget]
    // `undefined` on the routes of contexts made before this plugin decorated the request. Not
    // 200: no answer in the body (202 of the HTTP+SSE transport, 204 of a cancelled request).
    // An SSE answer is written by the transport itself: it never gets here.
    if (target !== null && target !== undefined && reply.statusCode === 200) {
      const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : Buffer.isBuffer(payload) ? payload.length : -1
      if (bytes >= 0) this.#m.responseSize.record(target.key, target.labels, bytes)
    }
    done(null, payload)
  }

  readonly #requestStart = (message: unknown): void => {
    const event = message as Tracked
    try {
      event[this.#kStart] = performance.now()
      this.#m.activeOperations++
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
      this.#m.activeOperations--
      const seconds = (performance.now() - started) / 1000
      const target = this.#labeller.targetOf(event)
      const errorType = errorTypeOf(event)
      if (errorType === undefined) {
        this.#m.operationDuration.record(target.key, target.labels, seconds)
      } else {
        this.#m.operationDuration.record(`${target.key}\u0001${errorType}`, { ...target.labels, error_type: errorType }, seconds)
      }
      const request = httpRequestOf(event)
      // One HTTP body per MCP request: a batch's size belongs to none of its requests.
      if (request !== undefined && !Array.isArray(request.body)) {
        const bytes = Number(request.headers['content-length'] ?? NaN)
        if (bytes >= 0) this.#m.requestSize.record(target.key, target.labels, bytes)
        request[kTarget] = target
      }
      const span = event[this.#kSpan] as Span | undefined
      if (span !== undefined) this.#tracing!.end(event, span)
    } catch (error) {
      this.#failed(error)
    }
  }

  readonly #taskStart = (message: unknown): void => {
    const event = message as McpTaskEvent & Record<symbol, unknown>
    try {
      event[this.#kStart] = performance.now()
      this.#m.tasksRunning++
      this.#m.tasksCreated.inc({ gen_ai_tool_name: this.#labeller.tool(event.tool) })
      const span = this.#tracing?.startTask(event)
      if (span !== undefined) event[this.#kSpan] = span
    } catch (error) {
      this.#failed(error)
    }
  }

  readonly #taskEnd = (message: unknown): void => {
    const event = message as McpTaskEvent & Record<symbol, unknown>
    try {
      const started = event[this.#kStart] as number | undefined
      if (started === undefined) return
      this.#m.tasksRunning--
      const tool = this.#labeller.tool(event.tool)
      const status = event.status ?? 'failed'
      this.#m.tasksFinished.inc({ gen_ai_tool_name: tool, status, error_type: event.errorType ?? '' })
      this.#m.taskDuration.observe({ gen_ai_tool_name: tool, status }, (performance.now() - started) / 1000)
      const span = event[this.#kSpan] as Span | undefined
      if (span !== undefined) this.#tracing!.endTask(event, span)
    } catch (error) {
      this.#failed(error)
    }
  }

  /** A task another node ran, failed here (its node died, or its TTL ran out): no duration, it did not run here. */
  readonly #taskEnded = (event: TaskEndedEvent): void => {
    this.#m.tasksFinished.inc({ gen_ai_tool_name: this.#labeller.tool(event.tool), status: event.status, error_type: event.errorType })
  }

  // Open and close pair up on each node (held here, then let go), so the gauge never drifts;
  // the counters and the duration count sessions created and ended, not copies taken up.
  readonly #sessionOpen = (event: SessionOpenEvent): void => {
    this.#m.sessionsActive.inc()
    if (event.created) this.#m.sessionsOpened.inc({ mcp_protocol_version: event.protocolVersion })
  }

  readonly #sessionClose = (event: SessionCloseEvent): void => {
    this.#m.sessionsActive.dec()
    if (event.reason === 'released') return
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

  readonly #dropped = (event: DroppedEvent): void => {
    this.#m.dropped.inc({ source: event.source, what: event.what })
  }

  readonly #failure = (event: FailureEvent): void => {
    this.#m.failures.inc({ component: event.component, action: event.action })
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
