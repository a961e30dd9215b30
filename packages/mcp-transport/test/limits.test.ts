import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import { assertRpcError, assertServes, buildApp, callTool, deferred, httpClient, initialize, listen, openStream, post, send } from './helpers.ts'

// Bounds on what grows with traffic, each refused the spec's way while everyone else is served.

test('maxRequestsPerSession: requests of one session in flight at once, JSON answers too; past it 429, other sessions unaffected', async (t) => {
  const release = deferred()
  const app = await buildApp(t, {
    transport: { maxRequestsPerSession: 2, responseMode: 'json' },
    declare: (mcp: McpServer) => mcp.tool({ name: 'slow', handler: async () => { await release.promise; return { content: [] } } })
  })
  const { headers } = await initialize(app)
  const running = [post(app, callTool(1, 'slow'), headers), post(app, callTool(2, 'slow'), headers)]
  await new Promise((resolve) => setImmediate(resolve))
  assertRpcError(await post(app, callTool(3, 'slow'), headers), {
    status: 429, code: -32000, message: 'Too many requests: the limit of 2 requests in flight for this session is reached'
  })
  const other = await initialize(app)
  await assertServes(app, other.headers)
  release.resolve()
  for (const response of await Promise.all(running)) assert.equal(response.statusCode, 200)
  await assertServes(app, headers)
})

test('legacySse.maxConnections: HTTP+SSE connections past the limit get 503; a slot frees when one closes', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { transport: { legacySse: { maxConnections: 1 } } })
  const base = await listen(app)
  const first = await openStream(agent, `${base}/sse`)
  assert.equal(first.statusCode, 200)
  const refused = await send(agent, `${base}/sse`, { method: 'GET', headers: { accept: 'text/event-stream' } })
  assert.equal(refused.statusCode, 503)
  assert.deepEqual(JSON.parse(refused.body).error, { code: -32000, message: 'Too many HTTP+SSE connections: the limit of 1 is reached, try again later' })
  first.sse.close()
  for (let i = 0; i < 100; i++) {
    const again = await openStream(agent, `${base}/sse`)
    if (again.statusCode === 200) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  assert.fail('the closed connection freed no slot')
})
