import assert from 'node:assert/strict'
import { channel } from 'node:diagnostics_channel'
import { test } from 'node:test'
import Fastify from 'fastify'
import { reportFailure } from '@mcp-fastify/mcp-protocol'
import { Registry } from 'prom-client'
import mcpMetrics from '../src/index.ts'
import { buildApp, callTool, declareTools, initialize, post, rpc, scrape } from './helpers.ts'

const DURATION = 'mcp_server_operation_duration_seconds'

test('a successful tools/call: counted by method and tool name, without error_type, with its sizes', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app)
  const body = JSON.stringify(callTool(1, 'echo', { text: 'hello' }))
  const response = await post(app, body, headers)
  assert.equal(response.statusCode, 200)

  const metrics = await scrape(app)
  const echo = { mcp_method_name: 'tools/call', gen_ai_tool_name: 'echo' }
  assert.equal(metrics.value(`${DURATION}_count`, echo), 1)
  assert.ok(metrics.value(`${DURATION}_sum`, echo)! > 0)
  // Every bucket at or above the duration counts the call; the semconv buckets are there.
  assert.equal(metrics.value(`${DURATION}_bucket`, { ...echo, le: '+Inf' }), 1)
  assert.equal(metrics.value(`${DURATION}_bucket`, { ...echo, le: '300' }), 1)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'initialize' }), 1)
  assert.deepEqual(metrics.labelSets(`${DURATION}_count`), ['gen_ai_tool_name=echo,mcp_method_name=tools/call', 'mcp_method_name=initialize'])
  assert.equal(metrics.value('mcp_server_request_size_bytes_count', echo), 1)
  assert.equal(metrics.value('mcp_server_request_size_bytes_sum', echo), Buffer.byteLength(body))
  assert.equal(metrics.value('mcp_server_response_size_bytes_count', echo), 1)
  assert.equal(metrics.value('mcp_server_response_size_bytes_sum', echo), Buffer.byteLength(response.body))
  assert.equal(metrics.value('mcp_server_operations_active'), 0)
  assert.equal(metrics.value('mcp_server_sessions_active'), 1)
  assert.equal(metrics.value('mcp_server_sessions_opened_total', { mcp_protocol_version: '2025-11-25' }), 1)
})

test('a tool error (isError): error_type="tool_error", with the tool name', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app)
  await post(app, callTool(1, 'fails'), headers)
  await post(app, callTool(2, 'fails'), headers)
  await post(app, callTool(3, 'echo'), headers)

  const metrics = await scrape(app)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'fails', error_type: 'tool_error' }), 2)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'echo' }), 1)
})

test('protocol errors: error_type is the JSON-RPC code; unknown methods and tools are one _OTHER series', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app)
  await post(app, rpc(1, 'resources/read', { uri: 'test://broken/7f3a' }), headers)
  for (const [id, name] of ['nope', 'nope/again', 'x'.repeat(40)].entries()) await post(app, rpc(10 + id, name), headers)
  for (const [id, name] of ['no_such_tool', 'another_one'].entries()) await post(app, callTool(20 + id, name), headers)
  await post(app, rpc(30, 'prompts/get', { name: 'no_such_prompt' }), headers)

  const metrics = await scrape(app)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'resources/read', error_type: '-32603' }), 1)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: '_OTHER', error_type: '-32601' }), 3)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: '_OTHER', error_type: '-32602' }), 2)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'prompts/get', gen_ai_prompt_name: '_OTHER', error_type: '-32602' }), 1)
  // What the client chose never becomes a label value, nor does a resource URI.
  for (const chosen of ['nope', 'no_such_tool', 'another_one', 'no_such_prompt', '7f3a']) assert.ok(!metrics.text.includes(chosen), chosen)
})

test('maxNames bounds the tool names kept as label values; later ones are _OTHER', async (t) => {
  const app = await buildApp(t, {
    metrics: { maxNames: 2 },
    declare: (mcp) => {
      for (const name of ['a', 'b', 'c']) mcp.tool({ name, handler: () => ({ content: [] }) })
    }
  })
  const { headers } = await initialize(app)
  for (const [id, name] of ['a', 'b', 'c', 'a'].entries()) await post(app, callTool(id + 1, name), headers)

  const metrics = await scrape(app)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'a' }), 2)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'b' }), 1)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: '_OTHER' }), 1)
})

test('requests refused by the transport: counted by status, error code and HTTP method', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app)
  assert.equal((await post(app, '{not json', headers)).statusCode, 400)
  assert.equal((await post(app, callTool(1, 'echo'), { ...headers, 'mcp-session-id': 'unknown' })).statusCode, 404)
  assert.equal((await post(app, callTool(2, 'echo'), { ...headers, 'mcp-session-id': 'unknown' })).statusCode, 404)
  assert.equal((await app.inject({ method: 'DELETE', url: '/mcp', headers: { 'mcp-session-id': 'unknown' } })).statusCode, 404)

  const metrics = await scrape(app)
  const refused = 'mcp_server_http_refused_total'
  assert.deepEqual(metrics.labelSets(refused), [
    'error_type=FST_ERR_CTP_INVALID_JSON_BODY,http_request_method=POST,http_response_status_code=400',
    'error_type=FST_MCP_TRANSPORT_SESSION_NOT_FOUND,http_request_method=DELETE,http_response_status_code=404',
    'error_type=FST_MCP_TRANSPORT_SESSION_NOT_FOUND,http_request_method=POST,http_response_status_code=404'
  ])
  assert.equal(metrics.value(refused, { http_response_status_code: '404', error_type: 'FST_MCP_TRANSPORT_SESSION_NOT_FOUND', http_request_method: 'POST' }), 2)
  // Refused before the engine: no operation was measured for them.
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'echo' }), undefined)
})

test('auth refusals and rate limits (mcp-oauth events): counted by reason and by tool, never by key', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const authRefused = channel('mcp-fastify:auth:refused')
  const rateLimited = channel('mcp-fastify:rate-limited')
  authRefused.publish({ reason: 'missing_token', statusCode: 401 })
  authRefused.publish({ reason: 'missing_token', statusCode: 401 })
  authRefused.publish({ reason: 'insufficient_scope', statusCode: 403 })
  rateLimited.publish({ key: 'principal:alice', tool: 'echo' })
  rateLimited.publish({ key: 'ip:10.1.2.3', tool: 'echo' })
  rateLimited.publish({ key: 'session:5f3c', tool: undefined })

  const metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_auth_failures_total', { reason: 'missing_token', http_response_status_code: '401' }), 2)
  assert.equal(metrics.value('mcp_server_auth_failures_total', { reason: 'insufficient_scope', http_response_status_code: '403' }), 1)
  assert.equal(metrics.value('mcp_server_rate_limited_total', { gen_ai_tool_name: 'echo' }), 2)
  assert.equal(metrics.value('mcp_server_rate_limited_total', { gen_ai_tool_name: '' }), 1)
  for (const key of ['alice', '10.1.2.3', '5f3c']) assert.ok(!metrics.text.includes(key), key)

  // Once the app is closed, it no longer listens.
  await app.close()
  authRefused.publish({ reason: 'expired', statusCode: 401 })
  assert.ok(!(await app.mcpMetrics.metrics()).includes('reason="expired"'))
})

test('sessions: opened, active, closed by reason with their duration; session ids are never labels', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const first = await initialize(app)
  const second = await initialize(app, '2025-06-18')
  let metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_sessions_active'), 2)
  assert.equal(metrics.value('mcp_server_sessions_opened_total', { mcp_protocol_version: '2025-11-25' }), 1)
  assert.equal(metrics.value('mcp_server_sessions_opened_total', { mcp_protocol_version: '2025-06-18' }), 1)

  assert.equal((await app.inject({ method: 'DELETE', url: '/mcp', headers: first.headers })).statusCode, 204)
  metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_sessions_active'), 1)
  assert.equal(metrics.value('mcp_server_sessions_closed_total', { reason: 'deleted' }), 1)
  assert.equal(metrics.value('mcp_server_session_duration_seconds_count', { reason: 'deleted' }), 1)
  for (const id of [first.sessionId, second.sessionId]) assert.ok(!metrics.text.includes(id))
})

test('an answer streamed as SSE: the stream is counted by kind, and is no longer active once done', async (t) => {
  const app = await buildApp(t, {
    declare: (mcp) => {
      mcp.tool({
        name: 'chatty',
        handler: async (_args, ctx) => {
          await ctx.log('info', 'working')
          return { content: [{ type: 'text', text: 'done' }] }
        }
      })
    }
  })
  const { headers } = await initialize(app)
  const response = await post(app, callTool(1, 'chatty'), headers)
  assert.match(String(response.headers['content-type']), /^text\/event-stream/)

  const metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_sse_streams_opened_total', { kind: 'post' }), 1)
  assert.equal(metrics.value('mcp_server_sse_streams_active', { kind: 'post' }), 0)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'chatty' }), 1)
  // An SSE answer has no Content-Length: its size is not measured.
  assert.equal(metrics.value('mcp_server_response_size_bytes_count', { mcp_method_name: 'tools/call', gen_ai_tool_name: 'chatty' }), undefined)
})

test('a batch (2025-03-26): each request is measured, the batch body is not ascribed to any', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app, '2025-03-26')
  const response = await post(app, [callTool(1, 'echo'), callTool(2, 'fails')], headers)
  assert.equal(response.statusCode, 200)

  const metrics = await scrape(app)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'echo' }), 1)
  assert.equal(metrics.value(`${DURATION}_count`, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'fails', error_type: 'tool_error' }), 1)
  assert.deepEqual(metrics.labelSets('mcp_server_request_size_bytes_count'), ['mcp_method_name=initialize'])
  assert.deepEqual(metrics.labelSets('mcp_server_response_size_bytes_count'), ['mcp_method_name=initialize'])
})

test('registered after the MCP plugins, it measures the same, and its hooks fail on no request', async (t) => {
  const errors: string[] = []
  const app = await buildApp(t, {
    metricsLast: true,
    declare: declareTools,
    // Fastify logs what a hook throws: nothing may be logged at error level.
    fastify: { logger: { level: 'error', stream: { write: (line: string) => { errors.push(line) } } } }
  })
  const { headers } = await initialize(app)
  await post(app, callTool(1, 'echo'), headers)
  await post(app, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99 } }, headers)
  await post(app, '{not json', headers)
  assert.equal((await app.inject({ method: 'DELETE', url: '/mcp', headers })).statusCode, 204)

  const metrics = await scrape(app)
  const echo = { mcp_method_name: 'tools/call', gen_ai_tool_name: 'echo' }
  assert.equal(metrics.value(`${DURATION}_count`, echo), 1)
  assert.equal(metrics.value('mcp_server_response_size_bytes_count', echo), 1)
  assert.equal(metrics.value('mcp_server_sessions_closed_total', { reason: 'deleted' }), 1)
  assert.deepEqual(errors, [])
})

test('the metrics route is protectable with onRequest hooks, and its path configurable', async (t) => {
  const app = await buildApp(t, {
    metrics: {
      metricsPath: '/internal/metrics',
      onRequest: async (request, reply) => {
        if (request.headers.authorization !== 'Bearer scraper') await reply.code(401).send({ error: 'unauthorized' })
      }
    }
  })
  assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404)
  assert.equal((await app.inject({ method: 'GET', url: '/internal/metrics' })).statusCode, 401)
  const allowed = await app.inject({ method: 'GET', url: '/internal/metrics', headers: { authorization: 'Bearer scraper' } })
  assert.equal(allowed.statusCode, 200)
  assert.match(allowed.body, /# TYPE mcp_server_operation_duration_seconds histogram/)
  // Health routes are not behind the metrics hooks.
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
})

test('metricsPath: false serves no route; app.mcpMetrics.metrics() gives the exposition', async (t) => {
  const app = await buildApp(t, { metrics: { metricsPath: false }, declare: declareTools })
  const { headers } = await initialize(app)
  await post(app, callTool(1, 'echo'), headers)
  assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404)
  const text = await app.mcpMetrics.metrics()
  assert.match(text, /mcp_server_operation_duration_seconds_count\{mcp_method_name="tools\/call",gen_ai_tool_name="echo"\} 1/)
  assert.match(app.mcpMetrics.contentType, /^text\/plain/)
})

test('a private registry by default; a given one gets the metrics, and loses them when the app closes', async (t) => {
  const first = await buildApp(t, { declare: declareTools })
  const second = await buildApp(t, { declare: declareTools })
  assert.notEqual(first.mcpMetrics.registry, second.mcpMetrics.registry)

  const registry = new Registry()
  const app = Fastify()
  await app.register(mcpMetrics, { registry, defaultMetrics: true })
  await app.ready()
  assert.equal(app.mcpMetrics.registry, registry)
  assert.ok(registry.getSingleMetric('mcp_server_operation_duration_seconds') !== undefined)
  assert.ok(registry.getSingleMetric('process_cpu_user_seconds_total') !== undefined)
  // The same registry twice in one process: refused at register time, by name.
  const twice = Fastify()
  twice.register(mcpMetrics, { registry })
  await assert.rejects(async () => await twice.ready(), (error: NodeJS.ErrnoException) => {
    assert.equal(error.code, 'FST_MCP_METRICS_INVALID_OPTIONS')
    assert.match(error.message, /mcp_server_operation_duration_seconds/)
    return true
  })
  await twice.close()
  await app.close()
  assert.equal(registry.getSingleMetric('mcp_server_operation_duration_seconds'), undefined)
  // So an app rebuilt on the same registry (a restart in the same process) registers again.
  const again = Fastify()
  t.after(() => again.close())
  await again.register(mcpMetrics, { registry })
  await again.ready()
  assert.ok(registry.getSingleMetric('mcp_server_operation_duration_seconds') !== undefined)
})

const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a metricsPath without a leading slash', { metricsPath: 'metrics' }, /\/metricsPath/],
  ['an unknown option', { bogus: true }, /\/bogus/],
  ['decreasing buckets', { operationBuckets: [1, 0.5] }, /\/operationBuckets: buckets must be strictly increasing/],
  ['a zero bucket', { sizeBuckets: [0, 10] }, /\/sizeBuckets/],
  ['one path for two routes', { healthPath: '/metrics' }, /must differ/],
  ['maxNames 0', { maxNames: 0 }, /\/maxNames/],
  ['an unknown loadShedding option', { loadShedding: { maxLag: 10 } }, /\/loadShedding/],
  ['a readyCheck that is not a function', { readyChecks: { db: 'yes' } }, /\/readyChecks\/db: must be a function/],
  ['a readyCheck with a built-in name', { readyChecks: { sessionStore: async () => {} } }, /\/readyChecks\/sessionStore/]
]

for (const [what, options, message] of invalid) {
  test(`invalid options (${what}): app.ready() rejects with FST_MCP_METRICS_INVALID_OPTIONS`, async (t) => {
    const app = Fastify()
    t.after(() => app.close())
    app.register(mcpMetrics, options)
    await assert.rejects(async () => await app.ready(), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'FST_MCP_METRICS_INVALID_OPTIONS')
      assert.match(error.message, message)
      return true
    })
  })
}

test('malformed values from other processes are counted by source and kind (a garbage bus message here)', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  await app.mcpSessions.bus.publish('mcp:nodes', 'not json')
  await app.mcpSessions.bus.publish('mcp:nodes', JSON.stringify({ type: 'ended', node: 'other', sessionId: 7 }))
  const metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_dropped_values_total', { source: 'bus', what: 'node message' }), 2)
})

test('failures where no client waits are counted by component and action', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  reportFailure('session', 'publish a notification to the other nodes', new Error('bus down'))
  reportFailure('session', 'publish a notification to the other nodes', new Error('bus down'))
  const metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_internal_failures_total', { component: 'session', action: 'publish a notification to the other nodes' }), 2)
})
