import type { McpRequestEvent, McpTaskEvent } from '@mcp-fastify/mcp-protocol'
import {
  context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace,
  type Attributes, type Context, type Link, type Span, type Tracer, type TracerProvider
} from '@opentelemetry/api'
import type { FastifyRequest } from 'fastify'
import { errorTypeOf } from './labels.ts'

/** JSON-RPC codes of errors the client caused: parse and request errors, unknown methods, bad params, 2026-07-28 header/capability/version refusals. */
const CLIENT_ERRORS = new Set([-32700, -32600, -32601, -32602, -32020, -32021, -32022])

export const TRACER_NAME = '@mcp-fastify/mcp-metrics'

/** The global provider as `@opentelemetry/api` 1.x hands it out: a proxy in front of the SDK's, if any. */
interface ProxyProvider extends TracerProvider {
  getDelegate?: () => TracerProvider
  getDelegateTracer?: (name: string) => Tracer | undefined
}

/** The tracing channel's context at `asyncEnd` carries what the traced function resolved to. */
interface Answered {
  result?: { result?: { protocolVersion?: unknown }, error?: { message?: unknown } }
}

const RESOURCE_METHODS = new Set(['resources/read', 'resources/subscribe', 'resources/unsubscribe'])

/** The HTTP request that carried an MCP request, when a Fastify transport passed it along. */
export function httpRequestOf (event: McpRequestEvent): FastifyRequest | undefined {
  return (event.extra as { request?: FastifyRequest }).request
}

function validSpanContext (ctx: Context) {
  const spanContext = trace.getSpanContext(ctx)
  return spanContext !== undefined && trace.isSpanContextValid(spanContext) ? spanContext : undefined
}

/**
 * A span per MCP request, by the OpenTelemetry semantic conventions for MCP (server side), through
 * `@opentelemetry/api` only. While no SDK is registered nothing is created at all: the global
 * provider has no delegate, and no span, attribute or context object is built.
 */
export class Tracing {
  /** Where a request's span is kept on its `extra`: what a handler context reaches (`ctx.extra`). */
  readonly #kSpan = Symbol('mcp-metrics.span')
  #provider: TracerProvider | undefined
  #tracer: Tracer | undefined

  /** The SDK's tracer, or `undefined` while no SDK is registered (looked up again when that changes). */
  tracer (): Tracer | undefined {
    const global = trace.getTracerProvider() as ProxyProvider
    const provider = global.getDelegate?.() ?? global
    if (provider !== this.#provider) {
      this.#provider = provider
      this.#tracer = global.getDelegateTracer === undefined ? global.getTracer(TRACER_NAME) : global.getDelegateTracer(TRACER_NAME)
    }
    return this.#tracer
  }

  /** Starts the span of a request (at the tracing channel's `start`), or returns `undefined`. */
  start (event: McpRequestEvent): Span | undefined {
    const tracer = this.tracer()
    if (tracer === undefined) return undefined
    const request = httpRequestOf(event)
    const ambient = context.active()
    let parent: Context | undefined
    let links: Link[] | undefined
    // The conventions: the trace context in `_meta` is the parent; the ambient one (an HTTP
    // server span) is linked. Without `_meta`: the ambient span, else the HTTP headers.
    const meta = event.meta
    if (meta !== undefined && typeof meta.traceparent === 'string') {
      const extracted = propagation.extract(ROOT_CONTEXT, meta)
      if (validSpanContext(extracted) !== undefined) {
        parent = extracted
        const ambientSpan = validSpanContext(ambient)
        if (ambientSpan !== undefined) links = [{ context: ambientSpan }]
      }
    }
    if (parent === undefined) {
      parent = validSpanContext(ambient) === undefined && request !== undefined && typeof request.headers.traceparent === 'string'
        ? propagation.extract(ambient, request.headers)
        : ambient
    }
    const { method, target, session } = event
    // What a sampler may look at is given at creation; the rest only to a span that records.
    const attributes: Attributes = { 'mcp.method.name': method }
    let name = method
    if (target !== undefined) {
      if (method === 'tools/call') {
        name = `${method} ${target}`
        attributes['gen_ai.tool.name'] = target
        attributes['gen_ai.operation.name'] = 'execute_tool'
      } else if (method === 'prompts/get') {
        name = `${method} ${target}`
        attributes['gen_ai.prompt.name'] = target
      } else if (RESOURCE_METHODS.has(method)) {
        // URIs are not low-cardinality: an attribute, never the span name.
        attributes['mcp.resource.uri'] = target
      }
    }
    const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes, links }, parent)
    // Kept even when not recording: it carries the sampling decision to the handler's spans.
    const extra = event.extra as Record<symbol, unknown>
    extra[this.#kSpan] = span
    if (!span.isRecording()) return span
    const more: Attributes = {
      'jsonrpc.request.id': String(event.requestId),
      'network.transport': 'tcp',
      'network.protocol.name': 'http'
    }
    // `initialize` runs before anything is negotiated: its version is set from the answer.
    if (method !== 'initialize') more['mcp.protocol.version'] = session.protocolVersion
    if (session.id !== undefined) more['mcp.session.id'] = session.id
    if (request !== undefined) {
      more['network.protocol.version'] = request.raw.httpVersion
      more['client.address'] = request.ip
      const port = request.socket?.remotePort
      if (port !== undefined) more['client.port'] = port
    }
    span.setAttributes(more)
    return span
  }

  /** Ends the span of a request (at `asyncEnd`): error type, JSON-RPC code and status by its outcome. */
  end (event: McpRequestEvent, span: Span): void {
    const extra = event.extra as Record<symbol, unknown>
    extra[this.#kSpan] = undefined
    if (!span.isRecording()) {
      span.end()
      return
    }
    const answer = (event as Answered).result
    if (event.method === 'initialize') {
      const version = answer?.result?.protocolVersion
      if (typeof version === 'string') span.setAttribute('mcp.protocol.version', version)
    }
    const errorType = errorTypeOf(event)
    if (errorType !== undefined) {
      span.setAttribute('error.type', errorType)
      if (event.outcome === 'error') span.setAttribute('rpc.response.status_code', errorType)
      // What the client got wrong (an unknown method, bad params, a header or version refused)
      // is not the server's failure: the span keeps an unset status (OTel MCP conventions).
      if (event.outcome === 'error' && CLIENT_ERRORS.has(event.errorCode ?? 0)) {
        span.end()
        return
      }
      const message = answer?.error?.message
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: typeof message === 'string' ? message : event.outcome === 'cancelled' ? 'Cancelled by the client' : undefined
      })
    }
    span.end()
  }

  /**
   * Starts the span of a task (at its creation): `tools/call <tool> (task)`, an INTERNAL span of
   * its own trace, linked to the span of the `tools/call` that created it (or, without one, to
   * the trace context of its `_meta`), since it outlives that request.
   */
  startTask (event: McpTaskEvent): Span | undefined {
    const tracer = this.tracer()
    if (tracer === undefined) return undefined
    const links: Link[] = []
    const creator = validSpanContext(this.contextOf(event.extra))
    if (creator !== undefined) links.push({ context: creator })
    else if (event.meta !== undefined && typeof event.meta.traceparent === 'string') {
      const requested = validSpanContext(propagation.extract(ROOT_CONTEXT, event.meta))
      if (requested !== undefined) links.push({ context: requested })
    }
    return tracer.startSpan(`tools/call ${event.tool} (task)`, {
      kind: SpanKind.INTERNAL,
      root: true,
      links,
      attributes: {
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': event.tool,
        'gen_ai.operation.name': 'execute_tool',
        'mcp.task.id': event.taskId
      }
    })
  }

  /** Ends the span of a task: its final status, and `error.type` unless it completed cleanly. */
  endTask (event: McpTaskEvent, span: Span): void {
    if (span.isRecording()) {
      if (event.status !== undefined) span.setAttribute('mcp.task.status', event.status)
      if (event.errorType !== undefined) {
        span.setAttribute('error.type', event.errorType)
        if (event.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: event.errorType })
      }
    }
    span.end()
  }

  /**
   * The OpenTelemetry context of the request a handler serves, with its MCP span: run work in it
   * (`context.with(...)`) so the spans it makes are children of the request's.
   */
  contextOf (extra: object): Context {
    const span = (extra as Record<symbol, Span | undefined>)[this.#kSpan]
    return span === undefined ? context.active() : trace.setSpan(context.active(), span)
  }
}
