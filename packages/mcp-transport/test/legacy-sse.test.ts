import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import mcpSession from '@mcp-fastify/mcp-session'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Agent } from 'undici'
import mcpTransport from '../src/index.ts'
import {
  assertRpcError, buildApp, callTool, httpClient, initializeBody, listen, messageOf, openStream, post, rpc, send, withTimeout,
  type OpenedStream
} from './helpers.ts'

function declare (mcp: McpServer): void {
  mcp.tool({
    name: 'chatty',
    async handler (_args, ctx) {
      await ctx.progress(1)
      return { content: [{ type: 'text', text: 'done' }] }
    }
  })
}

/** Opens the legacy SSE stream; returns it and the URL its `endpoint` event names. */
async function connect (agent: Agent, base: string, ssePath = '/sse'): Promise<{ stream: OpenedStream, endpoint: string }> {
  const stream = await openStream(agent, `${base}${ssePath}`)
  assert.equal(stream.statusCode, 200)
  assert.equal(stream.headers['content-type'], 'text/event-stream')
  const first = await stream.sse.next()
  assert.equal(first.event, 'endpoint')
  return { stream, endpoint: first.data }
}

function postLegacy (app: FastifyInstance, endpoint: string, body: unknown): ReturnType<typeof post> {
  return app.inject({ method: 'POST', url: endpoint, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })
}

test('legacy: GET /sse starts with an endpoint event naming /messages?sessionId=...', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { transport: { legacySse: true } })
  const base = await listen(app)
  const { stream, endpoint } = await connect(agent, base)
  assert.equal(stream.headers['x-accel-buffering'], 'no')
  assert.match(endpoint, /^\/messages\?sessionId=[\x21-\x7E]+$/)
  const other = await connect(agent, base)
  assert.notEqual(other.endpoint, endpoint, 'every connection gets its own session')
})

test('legacy: a POSTed request gets 202, its response arrives on the SSE stream', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { transport: { legacySse: true }, declare })
  const { stream, endpoint } = await connect(agent, await listen(app))

  const init = await postLegacy(app, endpoint, initializeBody('2024-11-05'))
  assert.equal(init.statusCode, 202)
  const initialized = await stream.sse.next()
  assert.equal(initialized.event, 'message')
  assert.equal(initialized.id, undefined)
  const result = messageOf(initialized)
  assert.equal(result.id, 0)
  assert.equal(result.result.protocolVersion, '2024-11-05')

  const notified = await postLegacy(app, endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' })
  assert.equal(notified.statusCode, 202)

  const call = await postLegacy(app, endpoint, callTool(2, 'chatty', {}, 'p'))
  assert.equal(call.statusCode, 202)
  assert.deepEqual(messageOf(await stream.sse.next()),
    { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p', progress: 1 } })
  assert.deepEqual(messageOf(await stream.sse.next()), { jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'done' }] } })

  const unknownMethod = await postLegacy(app, endpoint, rpc(3, 'no/such'))
  assert.equal(unknownMethod.statusCode, 202)
  assert.deepEqual(messageOf(await stream.sse.next()), { jsonrpc: '2.0', id: 3, error: { code: -32601, message: 'Method not found: no/such' } })
})

test('legacy: an unknown or missing sessionId is 404; an invalid frame is 400', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { transport: { legacySse: true } })
  const { stream, endpoint } = await connect(agent, await listen(app))
  const notFound = { status: 404, code: -32001, message: 'Session not found' }
  assertRpcError(await postLegacy(app, '/messages?sessionId=nope', rpc(1, 'ping')), notFound)
  assertRpcError(await postLegacy(app, '/messages', rpc(1, 'ping')), notFound)
  assertRpcError(await postLegacy(app, endpoint, { jsonrpc: '2.0', id: 4, method: 'ping', extra: true }),
    { status: 400, code: -32600, message: /^Invalid request: \/extra/, id: 4 })
  // Still served.
  assert.equal((await postLegacy(app, endpoint, rpc(5, 'ping'))).statusCode, 202)
  assert.deepEqual(messageOf(await stream.sse.next()), { jsonrpc: '2.0', id: 5, result: {} })
})

test('legacy: closing the SSE connection ends its session', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { transport: { legacySse: true } })
  const base = await listen(app)
  const serverSocket = new Promise<Socket>((resolve) => app.server.once('request', (request) => resolve(request.socket)))
  const { stream, endpoint } = await connect(agent, base)
  const socket = await withTimeout(serverSocket, 2000, 'the GET on the server')
  const closed = once(socket, 'close')
  stream.sse.close()
  await withTimeout(closed, 2000, 'the server to see the connection close')
  assertRpcError(await postLegacy(app, endpoint, rpc(1, 'ping')), { status: 404, code: -32001, message: 'Session not found' })
})

test('legacy: notifications outside requests (list_changed) reach the SSE stream', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { transport: { legacySse: true }, declare })
  const { stream } = await connect(agent, await listen(app))
  app.mcp.tool({ name: 'late', handler: () => ({ content: [] }) })
  assert.deepEqual(messageOf(await stream.sse.next()), { jsonrpc: '2.0', method: 'notifications/tools/list_changed' })
})

test('legacy: prefix-aware under a prefix, and at custom paths', async (t) => {
  const agent = httpClient(t)
  const app = Fastify()
  t.after(() => app.close())
  await app.register(async (scope) => {
    await scope.register(mcpSession)
    await scope.register(mcpTransport, { legacySse: { ssePath: '/events', messagesPath: '/rpc' } })
  }, { prefix: '/api' })
  await app.register(async (scope) => {
    await scope.register(mcpTransport, { legacySse: true })
  }, { prefix: '/v1' })
  const base = await listen(app)

  for (const [ssePath, messages] of [['/api/events', '/api/rpc'], ['/v1/sse', '/v1/messages']] as const) {
    const { stream, endpoint } = await connect(agent, base, ssePath)
    assert.ok(endpoint.startsWith(`${messages}?sessionId=`), `${ssePath} names ${endpoint}`)
    assert.equal((await postLegacy(app, endpoint, rpc(1, 'ping'))).statusCode, 202)
    assert.deepEqual(messageOf(await stream.sse.next()), { jsonrpc: '2.0', id: 1, result: {} })
  }
  // The Streamable HTTP endpoints are there as well.
  assert.equal((await post(app, initializeBody(), {}, '/api/mcp')).statusCode, 200)
  assert.equal((await post(app, initializeBody(), {}, '/v1/mcp')).statusCode, 200)
})

test('legacy: HEAD /sse opens no stream (405)', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { transport: { legacySse: true } })
  const head = await withTimeout(send(agent, `${await listen(app)}/sse`, { method: 'HEAD', headers: { accept: 'text/event-stream' } }), 2000, 'HEAD')
  assert.equal(head.statusCode, 405)
  assert.notEqual(head.headers['content-type'], 'text/event-stream')
})

test('legacy: off by default', async (t) => {
  const app = await buildApp(t)
  const response = await app.inject({ method: 'GET', url: '/sse', headers: { accept: 'text/event-stream' } })
  assert.equal(response.statusCode, 404)
})

test('legacy: closing the app ends legacy SSE streams and does not hang', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { transport: { legacySse: true } })
  const { stream } = await connect(agent, await listen(app))
  await withTimeout(app.close(), 2000, 'app.close()')
  await stream.sse.ended(2000)
})
