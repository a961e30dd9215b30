import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import {
  assertRpcError, assertServes, buildApp, callTool, initialize, initializeBody, post, rpc, type BuildOptions
} from './helpers.ts'

const PARSE_ERROR = -32700
const INVALID_REQUEST = -32600
const METHOD_NOT_FOUND = -32601
const TRANSPORT_ERROR = -32000
const SESSION_NOT_FOUND = -32001

/** A session endpoint with one tool, and a live session whose headers later requests carry. */
async function setup (t: TestContext, options: BuildOptions = {}): Promise<{ app: FastifyInstance, headers: Record<string, string> }> {
  const app = await buildApp(t, {
    ...options,
    declare: (mcp) => {
      mcp.tool({ name: 'echo', handler: () => ({ content: [{ type: 'text', text: 'echo' }] }) })
    }
  })
  const { headers } = await initialize(app)
  return { app, headers }
}

test('malformed JSON: 400 with a parse error, and the endpoint still serves', async (t) => {
  const { app, headers } = await setup(t)
  const response = await post(app, '{"jsonrpc": "2.0", "id": 1, "method": ', headers)
  assertRpcError(response, { status: 400, code: PARSE_ERROR, message: 'Parse error: the body is not valid JSON' })
  await assertServes(app, headers)
})

test('empty body: 400 with a parse error', async (t) => {
  const { app, headers } = await setup(t)
  const response = await post(app, '', headers)
  assertRpcError(response, { status: 400, code: PARSE_ERROR, message: 'Parse error: the body is empty' })
  await assertServes(app, headers)
})

test('Content-Type text/plain (or a look-alike of JSON): 415', async (t) => {
  const { app, headers } = await setup(t)
  for (const type of ['text/plain', 'application/jsonx', 'application/json-patch+json', 'application/x-www-form-urlencoded']) {
    const response = await post(app, JSON.stringify(rpc(1, 'ping')), { ...headers, 'content-type': type })
    assertRpcError(response, { status: 415, code: TRANSPORT_ERROR, message: 'Unsupported Media Type: the body must be application/json' })
  }
  await assertServes(app, headers)
})

test('no Content-Type: 415, with a body and without one', async (t) => {
  const { app, headers } = await setup(t)
  const withBody = await app.inject({
    method: 'POST', url: '/mcp', headers: { ...headers, accept: 'application/json, text/event-stream' }, payload: JSON.stringify(rpc(1, 'ping'))
  })
  assertRpcError(withBody, { status: 415, code: TRANSPORT_ERROR, message: 'Unsupported Media Type: the body must be application/json' })
  const withoutBody = await app.inject({ method: 'POST', url: '/mcp', headers: { ...headers, accept: 'application/json, text/event-stream' } })
  assertRpcError(withoutBody, { status: 415, code: TRANSPORT_ERROR, message: 'Unsupported Media Type: the body must be application/json' })
  await assertServes(app, headers)
})

test('Content-Type application/json with a charset is accepted', async (t) => {
  const { app, headers } = await setup(t)
  await assertServes(app, { ...headers, 'content-type': 'application/json; charset=utf-8' })
})

test('Accept without JSON nor SSE: 406', async (t) => {
  const { app, headers } = await setup(t)
  for (const accept of ['text/html', 'application/json;q=0, text/event-stream;q=0, text/html']) {
    const response = await post(app, rpc(1, 'ping'), { ...headers, accept })
    assertRpcError(response, { status: 406, code: TRANSPORT_ERROR, message: 'Not Acceptable: the client must accept application/json or text/event-stream' })
  }
  await assertServes(app, headers)
})

test('strictAccept: Accept with only one of JSON and SSE is 406, both is served', async (t) => {
  const { app, headers } = await setup(t, { transport: { strictAccept: true } })
  for (const accept of ['application/json', 'text/event-stream']) {
    const response = await post(app, rpc(1, 'ping'), { ...headers, accept })
    assertRpcError(response, { status: 406, code: TRANSPORT_ERROR, message: 'Not Acceptable: the client must accept both application/json and text/event-stream' })
  }
  await assertServes(app, headers)
})

test('unsupported MCP-Protocol-Version: 400 on POST, GET and DELETE', async (t) => {
  const { app, headers } = await setup(t)
  const bad = { ...headers, 'mcp-protocol-version': '1999-01-01' }
  const message = /^Bad Request: unsupported MCP-Protocol-Version "1999-01-01" \(supported: 2025-11-25, /
  assertRpcError(await post(app, rpc(1, 'ping'), bad), { status: 400, code: TRANSPORT_ERROR, message, id: 1 })
  assertRpcError(await app.inject({ method: 'GET', url: '/mcp', headers: { ...bad, accept: 'text/event-stream' } }),
    { status: 400, code: TRANSPORT_ERROR, message })
  assertRpcError(await app.inject({ method: 'DELETE', url: '/mcp', headers: bad }), { status: 400, code: TRANSPORT_ERROR, message })
  // The DELETE was refused: the session lives on.
  await assertServes(app, headers)
})

test('a body over bodyLimit: 413', async (t) => {
  const { app, headers } = await setup(t, { transport: { bodyLimit: 512 } })
  const response = await post(app, callTool(1, 'echo', { text: 'x'.repeat(1024) }), headers)
  assertRpcError(response, { status: 413, code: INVALID_REQUEST, message: 'Request body too large' })
  await assertServes(app, headers)
})

test('invalid JSON-RPC frames: 400 with -32600, echoing the id when it is readable', async (t) => {
  const { app, headers } = await setup(t)
  const cases: Array<{ frame: unknown, id?: number | string, message: string | RegExp }> = [
    { frame: { jsonrpc: '2.0', id: null, method: 'ping' }, message: /^Invalid request: \/id/ },
    { frame: { id: 7, method: 'ping' }, id: 7, message: /^Invalid request: \/jsonrpc/ },
    { frame: { jsonrpc: '2.0', id: 'abc', method: 'ping', extra: 1 }, id: 'abc', message: /^Invalid request: \/extra/ },
    { frame: { jsonrpc: '1.0', id: 8, method: 'ping' }, id: 8, message: /^Invalid request: \/jsonrpc/ },
    { frame: { method: 'notifications/initialized' }, message: /^Invalid notification: \/jsonrpc/ },
    { frame: 'a string', message: 'A JSON-RPC message must be an object' }
  ]
  for (const { frame, id, message } of cases) {
    const response = await post(app, JSON.stringify(frame), headers)
    assertRpcError(response, { status: 400, code: INVALID_REQUEST, message, id })
  }
  await assertServes(app, headers)
})

test('a request without Mcp-Session-Id: 400; a notification too', async (t) => {
  const { app, headers } = await setup(t)
  const message = 'Bad Request: the Mcp-Session-Id header is required'
  assertRpcError(await post(app, rpc(1, 'ping')), { status: 400, code: TRANSPORT_ERROR, message, id: 1 })
  assertRpcError(await post(app, rpc(1, 'ping'), { 'mcp-session-id': '' }), { status: 400, code: TRANSPORT_ERROR, message, id: 1 })
  assertRpcError(await post(app, { jsonrpc: '2.0', method: 'notifications/initialized' }), { status: 400, code: TRANSPORT_ERROR, message })
  await assertServes(app, headers)
})

test('an unknown session id: 404 with -32001 on POST, GET and DELETE', async (t) => {
  const { app, headers } = await setup(t)
  const unknown = { ...headers, 'mcp-session-id': 'not-a-session-of-this-server' }
  const expected = { status: 404, code: SESSION_NOT_FOUND, message: 'Session not found' }
  assertRpcError(await post(app, rpc(1, 'ping'), unknown), expected)
  assertRpcError(await post(app, { jsonrpc: '2.0', method: 'notifications/initialized' }, unknown), expected)
  assertRpcError(await app.inject({ method: 'GET', url: '/mcp', headers: { ...unknown, accept: 'text/event-stream' } }), expected)
  assertRpcError(await app.inject({ method: 'DELETE', url: '/mcp', headers: unknown }), expected)
  await assertServes(app, headers)
})

test('after DELETE, the same session id is 404', async (t) => {
  const { app, headers } = await setup(t)
  const other = await initialize(app)
  const deleted = await app.inject({ method: 'DELETE', url: '/mcp', headers })
  assert.equal(deleted.statusCode, 204)
  assert.equal(deleted.body, '')
  const expected = { status: 404, code: SESSION_NOT_FOUND, message: 'Session not found' }
  assertRpcError(await post(app, rpc(1, 'ping'), headers), expected)
  assertRpcError(await app.inject({ method: 'GET', url: '/mcp', headers: { ...headers, accept: 'text/event-stream' } }), expected)
  assertRpcError(await app.inject({ method: 'DELETE', url: '/mcp', headers }), expected)
  // Other sessions are untouched.
  await assertServes(app, other.headers)
})

test('DELETE without Mcp-Session-Id: 400', async (t) => {
  const { app, headers } = await setup(t)
  const response = await app.inject({ method: 'DELETE', url: '/mcp' })
  assertRpcError(response, { status: 400, code: TRANSPORT_ERROR, message: 'Bad Request: the Mcp-Session-Id header is required' })
  await assertServes(app, headers)
})

test('GET whose Accept lacks text/event-stream: 406', async (t) => {
  const { app, headers } = await setup(t)
  const response = await app.inject({ method: 'GET', url: '/mcp', headers: { ...headers, accept: 'application/json' } })
  assertRpcError(response, { status: 406, code: TRANSPORT_ERROR, message: 'Not Acceptable: the client must accept text/event-stream' })
  await assertServes(app, headers)
})

test('a batch at 2025-11-25: 400 with -32600', async (t) => {
  const { app, headers } = await setup(t)
  const response = await post(app, [rpc(1, 'ping'), rpc(2, 'ping')], headers)
  assertRpcError(response, { status: 400, code: INVALID_REQUEST, message: 'Invalid request: batches are not accepted at protocol version 2025-11-25' })
  await assertServes(app, headers)
})

test('a batch at 2025-06-18: 400 with -32600', async (t) => {
  const app = await buildApp(t)
  const { headers } = await initialize(app, '2025-06-18')
  const response = await post(app, [rpc(1, 'ping')], headers)
  assertRpcError(response, { status: 400, code: INVALID_REQUEST, message: 'Invalid request: batches are not accepted at protocol version 2025-06-18' })
  await assertServes(app, headers)
})

test('an empty batch at 2025-03-26: 400 with -32600', async (t) => {
  const app = await buildApp(t)
  const { headers } = await initialize(app, '2025-03-26')
  const response = await post(app, [], headers)
  assertRpcError(response, { status: 400, code: INVALID_REQUEST, message: 'Invalid request: empty batch' })
  await assertServes(app, headers)
})

test('an unknown method: HTTP 200 carrying the JSON-RPC error -32601', async (t) => {
  const { app, headers } = await setup(t)
  const response = await post(app, rpc(5, 'no/such/method'), headers)
  assert.equal(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  assert.deepEqual(JSON.parse(response.body), {
    jsonrpc: '2.0', id: 5, error: { code: METHOD_NOT_FOUND, message: 'Method not found: no/such/method' }
  })
  await assertServes(app, headers)
})

test('initialize with invalid params: HTTP 200 with -32602, and no session is created', async (t) => {
  const app = await buildApp(t)
  const response = await post(app, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } })
  assert.equal(response.statusCode, 200)
  assert.equal(response.headers['mcp-session-id'], undefined)
  const body = JSON.parse(response.body)
  assert.equal(body.id, 1)
  assert.equal(body.error.code, -32602)
  assert.match(body.error.message, /^Invalid params/)
  const good = await post(app, initializeBody())
  assert.equal(good.statusCode, 200)
  assert.equal(typeof good.headers['mcp-session-id'], 'string')
})

test('every error answer names the request when its body could be read, and only then', async (t) => {
  const { app, headers } = await setup(t, { sessions: { maxStreamsPerSession: 100 } })
  const readable: Array<[string, Record<string, string>, number]> = [
    ['Accept takes neither JSON nor SSE', { ...headers, accept: 'text/html' }, 406],
    ['an unsupported MCP-Protocol-Version', { ...headers, 'mcp-protocol-version': '1999-01-01' }, 400],
    ['no Mcp-Session-Id', { 'mcp-protocol-version': '2025-11-25' }, 400],
    ['an unknown session', { ...headers, 'mcp-session-id': 'nope' }, 404]
  ]
  for (const [what, sent, status] of readable) {
    const response = await post(app, rpc('named-42', 'ping'), sent)
    assert.equal(JSON.parse(response.body).id, 'named-42', what)
    assertRpcError(response, { status, code: status === 404 ? -32001 : -32000, message: /./, id: 'named-42' })
  }
  // Unreadable: not JSON, or no usable id.
  const garbage = await app.inject({ method: 'POST', url: '/mcp', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"id": 7,' })
  assertRpcError(garbage, { status: 400, code: -32700, message: /Parse error/, id: null })
  assertRpcError(await post(app, { jsonrpc: '2.0', id: { no: 1 }, method: 'ping' }, headers), { status: 400, code: -32600, message: /Invalid request/, id: null })
})
