import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import {
  assertRpcError, assertServes, buildApp, callTool, initializeBody, parseSse, post, rpc
} from './helpers.ts'

function declareTools (mcp: McpServer): void {
  mcp.tool({ name: 'echo', handler: () => ({ content: [{ type: 'text', text: 'echo' }] }) })
  mcp.tool({
    name: 'chatty',
    async handler (_args, ctx) {
      await ctx.progress(1)
      return { content: [{ type: 'text', text: 'chatty done' }] }
    }
  })
}

test('stateless: initialize is answered without an Mcp-Session-Id', async (t) => {
  const app = await buildApp(t, { sessions: false, declare: declareTools })
  const response = await post(app, initializeBody('2025-11-25'))
  assert.equal(response.statusCode, 200)
  assert.equal(response.headers['mcp-session-id'], undefined)
  assert.equal(JSON.parse(response.body).result.protocolVersion, '2025-11-25')
})

test('stateless: requests and notifications work without a session id', async (t) => {
  const app = await buildApp(t, { sessions: false, declare: declareTools })
  const headers = { 'mcp-protocol-version': '2025-11-25' }
  const call = await post(app, callTool(1, 'echo'), headers)
  assert.equal(call.statusCode, 200)
  assert.deepEqual(JSON.parse(call.body), { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'echo' }] } })
  const notification = await post(app, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers)
  assert.equal(notification.statusCode, 202)
  assert.equal(notification.body, '')
  // A session id from elsewhere is ignored, not refused.
  await assertServes(app, { ...headers, 'mcp-session-id': 'whatever' })
  await assertServes(app)
})

test('stateless: a tool that notifies first gets SSE, without priming nor resumable ids', async (t) => {
  const app = await buildApp(t, { sessions: false, declare: declareTools })
  const response = await post(app, callTool(2, 'chatty', {}, 'p'), { 'mcp-protocol-version': '2025-11-25' })
  assert.equal(response.statusCode, 200)
  assert.equal(response.headers['content-type'], 'text/event-stream')
  const events = parseSse(response.body)
  assert.deepEqual(events.map((event) => JSON.parse(event.data).method ?? JSON.parse(event.data).id), ['notifications/progress', 2])
  assert.ok(events.every((event) => event.id === undefined), 'nothing to resume without a session')
})

test('stateless: GET is 405 with an Allow header and a JSON-RPC body', async (t) => {
  const app = await buildApp(t, { sessions: false })
  const response = await app.inject({ method: 'GET', url: '/mcp', headers: { accept: 'text/event-stream' } })
  assertRpcError(response, {
    status: 405, code: -32000, message: 'Method Not Allowed: A GET stream needs sessions (register @mcp-fastify/mcp-session)'
  })
  assert.equal(response.headers.allow, 'POST')
  await assertServes(app)
})

test('stateless: DELETE is 405 with an Allow header and a JSON-RPC body', async (t) => {
  const app = await buildApp(t, { sessions: false })
  const response = await app.inject({ method: 'DELETE', url: '/mcp', headers: { 'mcp-session-id': 'x' } })
  assertRpcError(response, {
    status: 405, code: -32000, message: 'Method Not Allowed: DELETE needs sessions (register @mcp-fastify/mcp-session)'
  })
  assert.equal(response.headers.allow, 'POST')
  await assertServes(app)
})

test('stateless: the version comes from MCP-Protocol-Version; without it, 2025-03-26 (batches allowed)', async (t) => {
  const app = await buildApp(t, { sessions: false })
  const batch = [rpc(1, 'ping'), rpc(2, 'ping')]
  const unversioned = await post(app, batch)
  assert.equal(unversioned.statusCode, 200)
  assert.deepEqual(JSON.parse(unversioned.body), [{ jsonrpc: '2.0', id: 1, result: {} }, { jsonrpc: '2.0', id: 2, result: {} }])
  assertRpcError(await post(app, batch, { 'mcp-protocol-version': '2025-11-25' }), {
    status: 400, code: -32600, message: 'Invalid request: batches are not accepted at protocol version 2025-11-25'
  })
  assertRpcError(await post(app, rpc(1, 'ping'), { 'mcp-protocol-version': 'nope' }), {
    status: 400, code: -32000, message: /^Bad Request: unsupported MCP-Protocol-Version "nope"/
  })
  await assertServes(app)
})
