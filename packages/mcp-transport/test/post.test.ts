import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import type { LightMyRequestResponse } from 'fastify'
import {
  buildApp, callTool, EVENT_ID, initialize, initializeBody, parseSse, post, rpc, seqOf, streamOf, withTimeout, type SseEvent
} from './helpers.ts'

/** `chatty` sends a progress and a log notification before its result; `echo` sends nothing. */
function declareTools (mcp: McpServer): void {
  mcp.tool({ name: 'echo', handler: () => ({ content: [{ type: 'text', text: 'echo' }] }) })
  mcp.tool({
    name: 'chatty',
    async handler (_args, ctx) {
      await ctx.progress(1, 2, 'halfway')
      await ctx.log('info', 'working')
      return { content: [{ type: 'text', text: 'chatty done' }] }
    }
  })
  mcp.tool({
    name: 'poll',
    async handler (_args, ctx) {
      ctx.closeStream()
      return { content: [{ type: 'text', text: 'polled' }] }
    }
  })
}

function assertJson (response: LightMyRequestResponse): any {
  assert.equal(response.statusCode, 200, response.body)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  return JSON.parse(response.body)
}

function assertSse (response: LightMyRequestResponse): SseEvent[] {
  assert.equal(response.statusCode, 200, response.body)
  assert.equal(response.headers['content-type'], 'text/event-stream')
  assert.equal(response.headers['x-accel-buffering'], 'no')
  assert.match(String(response.headers['cache-control']), /no-cache/)
  assert.ok(response.body.endsWith('\n\n'), 'the stream ends on an event boundary')
  return parseSse(response.body)
}

const CHATTY_RESULT = { jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'chatty done' }] } }

test('initialize: 200 JSON with the negotiated version and an Mcp-Session-Id of visible ASCII, new each time', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const first = await post(app, initializeBody('2025-11-25'))
  const body = assertJson(first)
  assert.equal(body.id, 0)
  assert.equal(body.result.protocolVersion, '2025-11-25')
  assert.deepEqual(body.result.serverInfo, { name: 'mcp-fastify', version: '0.0.0' })
  const id = first.headers['mcp-session-id']
  assert.equal(typeof id, 'string')
  assert.match(String(id), /^[\x21-\x7E]{16,}$/)
  const second = await post(app, initializeBody('2025-11-25'))
  assert.notEqual(second.headers['mcp-session-id'], id)
  assert.match(String(second.headers['mcp-session-id']), /^[\x21-\x7E]{16,}$/)
})

test('initialize negotiates: a supported version is echoed, an unknown one gets the latest', async (t) => {
  const app = await buildApp(t)
  for (const [requested, negotiated] of [['2025-06-18', '2025-06-18'], ['2025-03-26', '2025-03-26'], ['2099-01-01', '2025-11-25']]) {
    const response = await post(app, initializeBody(requested))
    assert.equal(assertJson(response).result.protocolVersion, negotiated, `requested ${requested}`)
    assert.equal(typeof response.headers['mcp-session-id'], 'string')
  }
})

test('notifications and client responses: 202 with an empty body', async (t) => {
  const app = await buildApp(t)
  const { headers } = await initialize(app)
  const frames = [
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99 } },
    { jsonrpc: '2.0', id: 'srv-1', result: {} },
    { jsonrpc: '2.0', id: 'srv-2', error: { code: -32601, message: 'no' } }
  ]
  for (const frame of frames) {
    const response = await post(app, frame, headers)
    assert.equal(response.statusCode, 202, JSON.stringify(frame))
    assert.equal(response.body, '')
    assert.equal(response.headers['content-type'], undefined)
  }
})

test('a request whose handler sends nothing first is answered as application/json', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app)
  assert.deepEqual(assertJson(await post(app, rpc(1, 'ping'), headers)), { jsonrpc: '2.0', id: 1, result: {} })
  assert.deepEqual(assertJson(await post(app, callTool('c', 'echo'), headers)),
    { jsonrpc: '2.0', id: 'c', result: { content: [{ type: 'text', text: 'echo' }] } })
})

test('a tool that notifies before its result: SSE with a priming event, the notifications, then the result', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app)
  const events = assertSse(await post(app, callTool(2, 'chatty', {}, 'tok'), headers))
  assert.equal(events.length, 4, JSON.stringify(events))
  const [priming, progress, log, result] = events as [SseEvent, SseEvent, SseEvent, SseEvent]
  // The priming event: an id, a retry hint, empty data.
  assert.equal(priming.data, '')
  assert.equal(priming.retry, 1000)
  assert.match(priming.id ?? '', EVENT_ID)
  assert.equal(seqOf(priming.id), 0)
  assert.deepEqual(JSON.parse(progress.data), {
    jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok', progress: 1, total: 2, message: 'halfway' }
  })
  assert.deepEqual(JSON.parse(log.data), { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'working' } })
  assert.deepEqual(JSON.parse(result.data), CHATTY_RESULT)
  // Every event of the stream names it, and counts up from the priming event.
  const stream = streamOf(priming.id)
  assert.deepEqual(events.map((event) => event.id), [0, 1, 2, 3].map((n) => `${stream}.${n}`))
  for (const event of [progress, log, result]) assert.equal(event.event, 'message')
})

test('two SSE answers of one session use different streams', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app)
  const first = assertSse(await post(app, callTool(2, 'chatty', {}, 'a'), headers))
  const second = assertSse(await post(app, callTool(2, 'chatty', {}, 'b'), headers))
  assert.notEqual(streamOf(first[0]?.id), streamOf(second[0]?.id))
  const ids = [...first, ...second].map((event) => event.id)
  assert.equal(new Set(ids).size, ids.length, 'event ids are unique within the session')
})

test('at 2025-06-18 the SSE answer has event ids but no priming event', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app, '2025-06-18')
  const events = assertSse(await post(app, callTool(2, 'chatty', {}, 'tok'), headers))
  assert.equal(events.length, 3, JSON.stringify(events))
  assert.ok(events.every((event) => event.data !== '' && event.retry === undefined), 'no priming event')
  assert.equal(JSON.parse(events[0]!.data).method, 'notifications/progress')
  assert.deepEqual(JSON.parse(events[2]!.data), CHATTY_RESULT)
  const stream = streamOf(events[0]!.id)
  assert.deepEqual(events.map((event) => event.id), [1, 2, 3].map((n) => `${stream}.${n}`))
})

test("responseMode 'json': always JSON, even when the tool notifies first", async (t) => {
  const app = await buildApp(t, { declare: declareTools, transport: { responseMode: 'json' } })
  const { headers } = await initialize(app)
  assert.deepEqual(assertJson(await post(app, callTool(2, 'chatty', {}, 'tok'), headers)), CHATTY_RESULT)
  assert.deepEqual(assertJson(await post(app, rpc(3, 'ping'), headers)), { jsonrpc: '2.0', id: 3, result: {} })
})

test("responseMode 'json': a tool calling ctx.closeStream() still gets its result as JSON", async (t) => {
  const app = await buildApp(t, { declare: declareTools, transport: { responseMode: 'json' } })
  const { headers } = await initialize(app)
  const response = await post(app, callTool(4, 'poll'), headers)
  assert.deepEqual(assertJson(response), { jsonrpc: '2.0', id: 4, result: { content: [{ type: 'text', text: 'polled' }] } })
})

test("responseMode 'sse': a batch with nothing to answer is still 202 with an empty body", async (t) => {
  for (const stateless of [false, true]) {
    await t.test(stateless ? 'stateless' : 'with a session', async (t) => {
      const app = await buildApp(t, { transport: { responseMode: 'sse' }, sessions: stateless ? false : {} })
      const headers = stateless ? {} : (await initialize(app, '2025-03-26')).headers
      const batch = [{ jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', id: 'srv', result: {} }]
      const response = await withTimeout(post(app, batch, headers), 2000, 'the answer to a batch of notifications')
      assert.equal(response.statusCode, 202)
      assert.equal(response.body, '')
    })
  }
})

test("responseMode 'sse': always SSE, initialize included", async (t) => {
  const app = await buildApp(t, { declare: declareTools, transport: { responseMode: 'sse' } })
  const init = await post(app, initializeBody())
  const initEvents = assertSse(init)
  assert.equal(typeof init.headers['mcp-session-id'], 'string')
  assert.equal(JSON.parse(initEvents.at(-1)!.data).result.protocolVersion, '2025-11-25')
  const { headers } = await initialize(app)
  const events = assertSse(await post(app, rpc(1, 'ping'), headers))
  assert.equal(events.length, 2, JSON.stringify(events))
  assert.equal(events[0]!.data, '')
  assert.equal(seqOf(events[0]!.id), 0)
  assert.deepEqual(JSON.parse(events[1]!.data), { jsonrpc: '2.0', id: 1, result: {} })
  assert.equal(events[1]!.id, `${streamOf(events[0]!.id)}.1`)
})

test('a client that accepts only application/json never gets SSE', async (t) => {
  for (const responseMode of ['auto', 'sse'] as const) {
    await t.test(responseMode, async (t) => {
      const app = await buildApp(t, { declare: declareTools, transport: { responseMode } })
      const { headers } = await initialize(app)
      const jsonOnly = { ...headers, accept: 'application/json' }
      assert.deepEqual(assertJson(await post(app, callTool(2, 'chatty', {}, 'tok'), jsonOnly)), CHATTY_RESULT)
      assert.deepEqual(assertJson(await post(app, rpc(3, 'ping'), jsonOnly)), { jsonrpc: '2.0', id: 3, result: {} })
    })
  }
})

test('a client that accepts only text/event-stream gets SSE, even for a plain answer', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app)
  const events = assertSse(await post(app, rpc(1, 'ping'), { ...headers, accept: 'text/event-stream' }))
  assert.deepEqual(JSON.parse(events.at(-1)!.data), { jsonrpc: '2.0', id: 1, result: {} })
})

test('MCP-Protocol-Version 2025-03-26 inside a 2025-11-25 session is accepted; the session keeps its version', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app, '2025-11-25')
  const older = { ...headers, 'mcp-protocol-version': '2025-03-26' }
  assert.deepEqual(assertJson(await post(app, rpc(1, 'ping'), older)), { jsonrpc: '2.0', id: 1, result: {} })
  // Still a 2025-11-25 session: its SSE answers are primed.
  const events = assertSse(await post(app, callTool(2, 'chatty', {}, 'tok'), older))
  assert.equal(events[0]!.data, '')
  assert.equal(seqOf(events[0]!.id), 0)
})

test('no MCP-Protocol-Version header on a later request is fine', async (t) => {
  const app = await buildApp(t)
  const { sessionId } = await initialize(app)
  assert.deepEqual(assertJson(await post(app, rpc(1, 'ping'), { 'mcp-session-id': sessionId })), { jsonrpc: '2.0', id: 1, result: {} })
})

test('2025-03-26 batch of requests (and a notification): an array of their responses', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app, '2025-03-26')
  const response = await post(app, [
    rpc(1, 'ping'),
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    callTool('two', 'echo'),
    { jsonrpc: '2.0', id: 'srv', result: {} }
  ], headers)
  assert.deepEqual(assertJson(response), [
    { jsonrpc: '2.0', id: 1, result: {} },
    { jsonrpc: '2.0', id: 'two', result: { content: [{ type: 'text', text: 'echo' }] } }
  ])
})

test('2025-03-26 batch of notifications only, or of responses only: 202 with an empty body', async (t) => {
  const app = await buildApp(t)
  const { headers } = await initialize(app, '2025-03-26')
  for (const batch of [
    [{ jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }],
    [{ jsonrpc: '2.0', id: 'srv-1', result: {} }, { jsonrpc: '2.0', id: 'srv-2', result: {} }]
  ]) {
    const response = await post(app, batch, headers)
    assert.equal(response.statusCode, 202)
    assert.equal(response.body, '')
  }
})

test('2025-03-26 batch with an initialize or an invalid frame: error entries beside the other responses', async (t) => {
  const app = await buildApp(t)
  const { headers } = await initialize(app, '2025-03-26')
  const response = await post(app, [
    { ...initializeBody('2025-03-26'), id: 'init' },
    rpc(2, 'ping'),
    { jsonrpc: '2.0', id: 3 }
  ], headers)
  assert.equal(response.headers['mcp-session-id'], undefined, 'a batched initialize creates no session')
  const body = assertJson(response)
  assert.equal(body.length, 3)
  assert.deepEqual(body[0], {
    jsonrpc: '2.0', id: 'init', error: { code: -32600, message: 'Invalid request: initialize must not be part of a batch' }
  })
  assert.deepEqual(body[1], { jsonrpc: '2.0', id: 2, result: {} })
  assert.equal(body[2].id, 3)
  assert.equal(body[2].error.code, -32600)
  assert.match(body[2].error.message, /^Invalid message/)
})

test('2025-03-26 batch whose tool notifies first is answered as SSE, responses last', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app, '2025-03-26')
  const events = assertSse(await post(app, [rpc(1, 'ping'), callTool(2, 'chatty', {}, 'tok')], headers))
  const messages = events.map((event) => JSON.parse(event.data))
  assert.deepEqual(messages.map((message) => message.method ?? message.id), ['notifications/progress', 'notifications/message', 1, 2])
  assert.deepEqual(messages[3], CHATTY_RESULT)
})
