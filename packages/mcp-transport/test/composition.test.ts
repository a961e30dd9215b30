import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import mcpSession from '@mcp-fastify/mcp-session'
import Fastify, { type FastifyInstance } from 'fastify'
import mcpTransport, { errorCodes } from '../src/index.ts'
import {
  assertRpcError, buildApp, httpClient, initialize, initializeBody, listen, messageOf, openStream, post, rpc
} from './helpers.ts'

/** Two endpoints in one app: `/a/mcp` and `/b/mcp`, each with its own sessions and tools. */
async function twoEndpoints (t: TestContext): Promise<{ app: FastifyInstance, a: FastifyInstance, b: FastifyInstance }> {
  const app = Fastify()
  t.after(() => app.close())
  const scopes: Record<string, FastifyInstance> = {}
  for (const name of ['a', 'b']) {
    await app.register(async (scope) => {
      await scope.register(mcpSession)
      await scope.register(mcpTransport, { serverInfo: { name: `server-${name}` } })
      scope.mcp.tool({ name: `only-${name}`, handler: () => ({ content: [{ type: 'text', text: name }] }) })
      scopes[name] = scope
    }, { prefix: `/${name}` })
  }
  await app.ready()
  return { app, a: scopes.a!, b: scopes.b! }
}

test('two endpoints in one app each serve their own tools', async (t) => {
  const { app } = await twoEndpoints(t)
  for (const name of ['a', 'b']) {
    const url = `/${name}/mcp`
    const init = await post(app, initializeBody(), {}, url)
    assert.equal(JSON.parse(init.body).result.serverInfo.name, `server-${name}`)
    const { headers } = await initialize(app, '2025-11-25', {}, url)
    const listed = JSON.parse((await post(app, rpc(1, 'tools/list'), headers, url)).body)
    assert.deepEqual(listed.result.tools.map((tool: { name: string }) => tool.name), [`only-${name}`])
  }
})

test('a session id of one endpoint is 404 on the other', async (t) => {
  const { app } = await twoEndpoints(t)
  const a = await initialize(app, '2025-11-25', {}, '/a/mcp')
  const notFound = { status: 404, code: -32001, message: 'Session not found' }
  assertRpcError(await post(app, rpc(1, 'ping'), a.headers, '/b/mcp'), notFound)
  assertRpcError(await app.inject({ method: 'DELETE', url: '/b/mcp', headers: a.headers }), notFound)
  // ...and still lives on its own endpoint.
  const ping = await post(app, rpc(1, 'ping'), a.headers, '/a/mcp')
  assert.deepEqual(JSON.parse(ping.body), { jsonrpc: '2.0', id: 1, result: {} })
})

test('notifications of one endpoint do not reach the streams of the other', async (t) => {
  const agent = httpClient(t)
  const { app, a, b } = await twoEndpoints(t)
  const base = await listen(app)
  const sessionA = await initialize(app, '2025-11-25', {}, '/a/mcp')
  const sessionB = await initialize(app, '2025-11-25', {}, '/b/mcp')
  const getA = await openStream(agent, `${base}/a/mcp`, { headers: sessionA.headers })
  const getB = await openStream(agent, `${base}/b/mcp`, { headers: sessionB.headers })
  await getA.sse.next()
  await getB.sse.next()
  // Each side changes in turn: each stream's next event is its own endpoint's change.
  b.mcp.resource({ uri: 'test://b1', name: 'b1', read: () => ({ contents: [] }) })
  a.mcp.tool({ name: 'late-a', handler: () => ({ content: [] }) })
  b.mcp.resource({ uri: 'test://b2', name: 'b2', read: () => ({ contents: [] }) })
  a.mcp.tool({ name: 'later-a', handler: () => ({ content: [] }) })
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(messageOf(await getA.sse.next()), { jsonrpc: '2.0', method: 'notifications/tools/list_changed' })
    assert.deepEqual(messageOf(await getB.sse.next()), { jsonrpc: '2.0', method: 'notifications/resources/list_changed' })
  }
})

test('mcp-session registered after mcp-transport in the same context is still used', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  await app.register(mcpTransport)
  await app.register(mcpSession)
  await app.ready()
  const response = await post(app, initializeBody())
  assert.equal(response.statusCode, 200)
  assert.equal(typeof response.headers['mcp-session-id'], 'string')
})

test('two transports in the context of one mcp-session: ready fails on the `mcp` decorator clash', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  app.register(mcpSession)
  app.register(mcpTransport)
  app.register(mcpTransport, { path: '/other' })
  await assert.rejects(async () => await app.ready(), { code: 'FST_ERR_DEC_ALREADY_PRESENT', message: "The decorator 'mcp' has already been added!" })
})

test('one mcp-session shared by transports of two child contexts: ready fails with FST_MCP_TRANSPORT_SESSIONS_SHARED', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  app.register(mcpSession)
  app.register(async (scope) => { await scope.register(mcpTransport) }, { prefix: '/a' })
  app.register(async (scope) => { await scope.register(mcpTransport) }, { prefix: '/b' })
  await assert.rejects(async () => await app.ready(), (error: NodeJS.ErrnoException) => {
    assert.equal(error.code, 'FST_MCP_TRANSPORT_SESSIONS_SHARED')
    assert.ok(error instanceof errorCodes.FST_MCP_TRANSPORT_SESSIONS_SHARED)
    assert.match(error.message, /already serves the endpoint \/[ab]\/mcp: register one mcp-session per endpoint$/)
    return true
  })
})

test('the session cap: past maxSessions, initialize is 503 with a JSON-RPC error; a freed slot is usable again', async (t) => {
  const app = await buildApp(t, { sessions: { maxSessions: 2 } })
  const first = await initialize(app)
  await initialize(app)
  const refused = await post(app, initializeBody())
  assertRpcError(refused, {
    // README, Errors: 503 / -32000 (a transport refusal, not an internal error).
    status: 503, code: -32000, message: 'Too many sessions: the limit of 2 live sessions is reached, try again later'
  })
  assert.equal(refused.headers['mcp-session-id'], undefined)
  // Live sessions are still served, and ending one frees a slot.
  const ping = await post(app, rpc(1, 'ping'), first.headers)
  assert.equal(ping.statusCode, 200)
  assert.equal((await app.inject({ method: 'DELETE', url: '/mcp', headers: first.headers })).statusCode, 204)
  const again = await post(app, initializeBody())
  assert.equal(again.statusCode, 200)
  assert.equal(typeof again.headers['mcp-session-id'], 'string')
})
