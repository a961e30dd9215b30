import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import type { FastifyInstance } from 'fastify'
import { Tracing } from '../src/tracing.ts'
import { buildApp, callTool, declareTools, initialize, post, rpc } from './helpers.ts'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const CLIENT_SPAN_ID = '00f067aa0ba902b7'
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN_ID}-01`
const HEADER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const HEADER_SPAN_ID = 'b7ad6b7169203331'
const HEADER_TRACEPARENT = `00-${HEADER_TRACE_ID}-${HEADER_SPAN_ID}-01`

// What an OpenTelemetry SDK sets up (NodeSDK does the same): a context manager and the W3C propagator.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())

/** Registers an SDK whose spans end up in memory, for the duration of the test. */
function installSdk (t: TestContext): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  trace.setGlobalTracerProvider(provider)
  t.after(async () => {
    trace.disable()
    await provider.shutdown()
  })
  return exporter
}

/** The MCP server spans (the test's own spans aside), by name. */
function mcpSpans (exporter: InMemorySpanExporter): Map<string, ReadableSpan> {
  const spans = exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === '@mcp-fastify/mcp-metrics')
  return new Map(spans.map((span) => [span.name, span]))
}

async function appWithSession (t: TestContext): Promise<{ app: FastifyInstance, sessionId: string, headers: Record<string, string> }> {
  const app = await buildApp(t, { declare: declareTools })
  const { sessionId, headers } = await initialize(app)
  return { app, sessionId, headers }
}

test('a span per request, named by method and tool, its parent from _meta.traceparent, with the conventions\' attributes', async (t) => {
  const exporter = installSdk(t)
  const { app, sessionId, headers } = await appWithSession(t)
  const response = await post(app, callTool(7, 'echo', { text: 'hi' }, { traceparent: TRACEPARENT }), headers)
  assert.equal(response.statusCode, 200)

  const span = mcpSpans(exporter).get('tools/call echo')
  assert.ok(span !== undefined, 'a span named "tools/call echo"')
  assert.equal(span.kind, SpanKind.SERVER)
  assert.equal(span.spanContext().traceId, TRACE_ID)
  assert.equal(span.parentSpanContext?.spanId, CLIENT_SPAN_ID)
  assert.equal(span.parentSpanContext?.isRemote, true)
  assert.deepEqual(span.links, [])
  assert.equal(span.status.code, SpanStatusCode.UNSET)
  assert.deepEqual({ ...span.attributes, 'client.port': undefined }, {
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'echo',
    'gen_ai.operation.name': 'execute_tool',
    'jsonrpc.request.id': '7',
    'mcp.session.id': sessionId,
    'mcp.protocol.version': '2025-11-25',
    'network.transport': 'tcp',
    'network.protocol.name': 'http',
    'network.protocol.version': '1.1',
    'client.address': '127.0.0.1',
    'client.port': undefined
  })
})

test('without _meta, the parent comes from the HTTP traceparent header; _meta wins over it', async (t) => {
  const exporter = installSdk(t)
  const { app, headers } = await appWithSession(t)
  await post(app, callTool(1, 'echo'), { ...headers, traceparent: HEADER_TRACEPARENT })
  const fromHeader = mcpSpans(exporter).get('tools/call echo')!
  assert.equal(fromHeader.spanContext().traceId, HEADER_TRACE_ID)
  assert.equal(fromHeader.parentSpanContext?.spanId, HEADER_SPAN_ID)

  exporter.reset()
  await post(app, callTool(2, 'echo', {}, { traceparent: TRACEPARENT }), { ...headers, traceparent: HEADER_TRACEPARENT })
  const fromMeta = mcpSpans(exporter).get('tools/call echo')!
  assert.equal(fromMeta.spanContext().traceId, TRACE_ID)
  assert.equal(fromMeta.parentSpanContext?.spanId, CLIENT_SPAN_ID)

  exporter.reset()
  await post(app, callTool(3, 'echo'), headers)
  const root = mcpSpans(exporter).get('tools/call echo')!
  assert.equal(root.parentSpanContext, undefined, 'no trace context anywhere: a root span')
})

test('an ambient span (HTTP instrumentation) is the parent without _meta, and a link with it', async (t) => {
  const exporter = installSdk(t)
  const tracer = trace.getTracer('http-instrumentation')
  const httpSpans: Span[] = []
  // What @opentelemetry/instrumentation-http does: a server span per HTTP request, active while
  // the request is handled (its emitter bound to the span's context).
  const app = await buildApp(t, {
    declare: declareTools,
    before: (app) => {
      app.addHook('onRequest', (request, _reply, done) => {
        const span = tracer.startSpan(`${request.method} ${request.url}`, { kind: SpanKind.SERVER })
        httpSpans.push(span)
        const active = trace.setSpan(context.active(), span)
        context.bind(active, request.raw)
        context.with(active, done)
      })
      app.addHook('onResponse', async () => { httpSpans.at(-1)?.end() })
    }
  })
  const { headers } = await initialize(app)

  exporter.reset()
  await post(app, callTool(1, 'echo'), headers)
  const child = mcpSpans(exporter).get('tools/call echo')!
  const httpSpan = httpSpans.at(-1)!
  assert.equal(child.parentSpanContext?.spanId, httpSpan.spanContext().spanId)
  assert.equal(child.spanContext().traceId, httpSpan.spanContext().traceId)

  exporter.reset()
  await post(app, callTool(2, 'echo', {}, { traceparent: TRACEPARENT }), headers)
  const linked = mcpSpans(exporter).get('tools/call echo')!
  assert.equal(linked.parentSpanContext?.spanId, CLIENT_SPAN_ID)
  assert.deepEqual(linked.links.map((link) => link.context.spanId), [httpSpans.at(-1)!.spanContext().spanId])
})

test('errors: error.type always; status ERROR only for what the server failed, not for what the client got wrong', async (t) => {
  const exporter = installSdk(t)
  const { app, headers } = await appWithSession(t)
  await post(app, callTool(1, 'fails'), headers)
  await post(app, rpc(2, 'nope'), headers)
  await post(app, callTool(3, 'no_such_tool'), headers)
  const spans = mcpSpans(exporter)

  const toolError = spans.get('tools/call fails')!
  assert.equal(toolError.attributes['error.type'], 'tool_error')
  assert.equal(toolError.attributes['rpc.response.status_code'], undefined)
  assert.equal(toolError.status.code, SpanStatusCode.ERROR)

  const unknownMethod = spans.get('nope')!
  assert.equal(unknownMethod.attributes['error.type'], '-32601')
  assert.equal(unknownMethod.attributes['rpc.response.status_code'], '-32601')
  assert.equal(unknownMethod.status.code, SpanStatusCode.UNSET, 'the client asked for what does not exist')

  const unknownTool = spans.get('tools/call no_such_tool')!
  assert.equal(unknownTool.attributes['error.type'], '-32602')
  assert.equal(unknownTool.status.code, SpanStatusCode.UNSET)
})

test('2026-07-28 traffic: server/discover and subscriptions/listen are operations; no mcp.session.id; the era\'s version', async (t) => {
  const exporter = installSdk(t)
  const app = await buildApp(t, { declare: declareTools })
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} }
  const headers = { 'mcp-protocol-version': '2026-07-28' }
  await post(app, rpc(1, 'server/discover', { _meta: meta }), { ...headers, 'mcp-method': 'server/discover' })
  await post(app, rpc(2, 'subscriptions/listen', { _meta: meta, notifications: { toolsListChanged: 'no' } }), { ...headers, 'mcp-method': 'subscriptions/listen' })
  await post(app, rpc(3, 'ping', { _meta: meta }), { ...headers, 'mcp-method': 'ping' })
  const spans = mcpSpans(exporter)
  const discover = spans.get('server/discover')!
  assert.equal(discover.attributes['mcp.protocol.version'], '2026-07-28')
  assert.equal(discover.attributes['mcp.session.id'], undefined)
  assert.equal(discover.status.code, SpanStatusCode.UNSET)
  assert.equal(spans.get('subscriptions/listen')!.attributes['error.type'], '-32602')
  const ping = spans.get('ping')!
  assert.equal(ping.attributes['error.type'], '-32601', 'ping does not exist in 2026-07-28')
  assert.equal(ping.status.code, SpanStatusCode.UNSET)
})

test('initialize (its negotiated version), resources (the URI an attribute, not in the name)', async (t) => {
  const exporter = installSdk(t)
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app, '2025-06-18')
  await post(app, rpc(1, 'resources/read', { uri: 'test://broken/7f3a' }), headers)
  const spans = mcpSpans(exporter)

  const init = spans.get('initialize')!
  assert.equal(init.attributes['mcp.protocol.version'], '2025-06-18')
  assert.equal(init.attributes['mcp.session.id'], undefined, 'no session before initialize')
  const read = spans.get('resources/read')!
  assert.equal(read.attributes['mcp.resource.uri'], 'test://broken/7f3a')
  assert.equal(read.attributes['error.type'], '-32603')
})

test('app.mcpMetrics.traceContext(ctx): spans a handler starts in it are children of the request\'s span', async (t) => {
  const exporter = installSdk(t)
  const app: FastifyInstance = await buildApp(t, {
    declare: (mcp) => {
      mcp.tool({
        name: 'nested',
        handler: (_args, ctx) => context.with(app.mcpMetrics.traceContext(ctx), () => {
          trace.getTracer('app').startSpan('database query').end()
          return { content: [] }
        })
      })
    }
  })
  const { headers } = await initialize(app)
  await post(app, callTool(1, 'nested'), headers)
  const request = mcpSpans(exporter).get('tools/call nested')!
  const query = exporter.getFinishedSpans().find((span) => span.name === 'database query')!
  assert.equal(query.parentSpanContext?.spanId, request.spanContext().spanId)
})

test('no SDK: no tracer, no span; an SDK registered later is used at once, without a restart', async (t) => {
  trace.disable()
  assert.equal(new Tracing().tracer(), undefined)
  const { app, headers } = await appWithSession(t)
  await post(app, callTool(1, 'echo'), headers)

  const exporter = installSdk(t)
  await post(app, callTool(2, 'echo'), headers)
  const spans = exporter.getFinishedSpans()
  assert.deepEqual(spans.map((span) => span.attributes['jsonrpc.request.id']), ['2'])
})

test('tracing: false: no spans, even with an SDK', async (t) => {
  const exporter = installSdk(t)
  const app = await buildApp(t, { metrics: { tracing: false }, declare: declareTools })
  const { headers } = await initialize(app)
  await post(app, callTool(1, 'echo'), headers)
  assert.deepEqual(exporter.getFinishedSpans(), [])
})
