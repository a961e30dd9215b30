import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test, type TestContext } from 'node:test'
import { reportFailure, requestChannel, type McpRequestEvent } from '@mcp-fastify/mcp-protocol'
import mcpSession from '@mcp-fastify/mcp-session'
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import mcpTransport from '../src/index.ts'
import { assertRpcError, callTool, initialize, post } from './helpers.ts'

/** An app whose stand-in auth plugin takes the principal from an `x-user` header. */
async function appWithPrincipals (t: TestContext): Promise<{ app: FastifyInstance, routes: string[] }> {
  const app = Fastify()
  t.after(() => app.close())
  const routes: string[] = []
  // What an auth plugin does: find the endpoint's routes by their config, hook them.
  app.addHook('onRoute', (route) => {
    if (route.config?.mcpEndpoint === undefined) return
    routes.push(`${String(route.method)} ${route.url}`)
    route.onRequest = [...[route.onRequest ?? []].flat(), async (request) => {
      const user = request.headers['x-user']
      request.mcpPrincipal = typeof user === 'string' ? user : null
    }]
  })
  await app.register(mcpSession)
  await app.register(mcpTransport, { legacySse: true })
  app.mcp.tool({ name: 'whoami', handler: (_args, ctx) => ({ content: [{ type: 'text', text: String(ctx.extra.request.mcpPrincipal) }] }) })
  await app.ready()
  return { app, routes }
}

test('every route of the endpoint carries config.mcpEndpoint, for plugins that hook them', async (t) => {
  const { routes } = await appWithPrincipals(t)
  assert.deepEqual(routes.sort(), ['DELETE /mcp', 'GET /mcp', 'GET /sse', 'HEAD /mcp', 'HEAD /sse', 'POST /mcp', 'POST /messages'])
})

test('a session belongs to the principal that created it: presented by another, it is unknown (404)', async (t) => {
  const { app } = await appWithPrincipals(t)
  const created = await post(app, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'a', version: '1' } } }, { 'x-user': 'alice' })
  const session = String(created.headers['mcp-session-id'])
  const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25', 'x-user': 'alice' }
  const own = await post(app, callTool(1, 'whoami'), headers)
  assert.equal(own.statusCode, 200)
  assert.equal(own.json().result.content[0].text, 'alice')
  const stolen = await post(app, callTool(2, 'whoami'), { ...headers, 'x-user': 'mallory' })
  assertRpcError(stolen, { status: 404, code: -32001, message: 'Session not found' })
  const anonymous = await post(app, callTool(3, 'whoami'), { ...headers, 'x-user': '' })
  assertRpcError(anonymous, { status: 404, code: -32001, message: 'Session not found' })
  const deleted = await app.inject({ method: 'DELETE', url: '/mcp', headers: { ...headers, 'x-user': 'mallory' } })
  assertRpcError(deleted, { status: 404, code: -32001, message: 'Session not found' })
  assert.equal((await post(app, callTool(4, 'whoami'), headers)).statusCode, 200)
})

test('observers get requests (tracing channel), sessions, SSE connections and refusals on diagnostics channels', async (t) => {
  const seen: string[] = []
  const requests: McpRequestEvent[] = []
  const handlers = {
    start: () => {},
    end: () => {},
    asyncStart: () => {},
    asyncEnd: (event: McpRequestEvent) => { requests.push(event) },
    error: () => {}
  }
  requestChannel.subscribe(handlers)
  const names = ['mcp-fastify:session:open', 'mcp-fastify:session:close', 'mcp-fastify:sse:open', 'mcp-fastify:sse:close', 'mcp-fastify:http:refused']
  const listeners = names.map((name) => {
    const listener = (message: unknown): void => { seen.push(`${name.split(':').slice(1).join(':')} ${JSON.stringify(message)}`) }
    subscribe(name, listener)
    return { name, listener }
  })
  t.after(() => {
    requestChannel.unsubscribe(handlers)
    for (const { name, listener } of listeners) unsubscribe(name, listener)
  })

  const app = Fastify()
  t.after(() => app.close())
  await app.register(mcpSession)
  await app.register(mcpTransport, {})
  app.mcp.tool({
    name: 'report',
    inputSchema: Type.Object({ fail: Type.Boolean() }),
    handler: async ({ fail }, ctx) => {
      await ctx.log('info', 'working')
      return { content: [{ type: 'text', text: 'done' }], isError: fail }
    }
  })
  const { headers, sessionId } = await initialize(app)
  await post(app, callTool(1, 'report', { fail: false }), headers)
  await post(app, callTool(2, 'report', { fail: true }), headers)
  await post(app, { jsonrpc: '2.0', id: 3, method: 'nope' }, headers)
  await post(app, '{not json', headers)
  await app.inject({ method: 'DELETE', url: '/mcp', headers })

  const outcomes = requests.filter((event) => event.session.id === sessionId).map((event) => `${event.method} ${event.target ?? ''} ${event.outcome} ${event.errorCode ?? ''}`.trim())
  assert.deepEqual(outcomes, ['tools/call report ok', 'tools/call report tool_error', 'nope  error -32601'])
  assert.ok(seen.some((line) => line.startsWith('session:open') && line.includes(sessionId)))
  assert.ok(seen.some((line) => line.startsWith('session:close') && line.includes(sessionId) && line.includes('"reason":"deleted"')))
  assert.equal(seen.filter((line) => line.startsWith('sse:open') && line.includes('"kind":"post"')).length, 2)
  assert.equal(seen.filter((line) => line.startsWith('sse:close')).length, 2)
  assert.ok(seen.some((line) => line.startsWith('http:refused') && line.includes('"statusCode":400') && line.includes('FST_ERR_CTP_INVALID_JSON_BODY')))
})

test('failures where no client waits are logged, at most a line a second per action, saying how many were left out', async (t) => {
  const lines: Array<Record<string, any>> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  t.after(() => app.close())
  await app.register(mcpTransport)
  await app.ready()
  for (let i = 0; i < 3; i++) reportFailure('session', 'publish a notification to the other nodes', new Error(`bus down ${i}`))
  const logged = lines.filter((line) => line.msg === 'mcp: failed to publish a notification to the other nodes')
  assert.equal(logged.length, 1)
  assert.equal(logged[0]!.component, 'session')
  assert.match(logged[0]!.err.message, /bus down 0/)
})
