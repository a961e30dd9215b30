// The official SDK v2 client (@modelcontextprotocol/client 2.x) against the dual-era endpoint:
// pinned to 2026-07-28 (discover, list, call, a tool that elicits through Multi Round-Trip
// Requests, a listen stream that hears tools/list_changed), in its automatic mode, and the v1
// client beside it, unchanged, on the 2025 path of the same endpoint.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { connectStreamable, serve, textOf, withTimeout, type Served } from './helpers.ts'

/** The same tools serve both eras; `ask` elicits, whichever way the client is asked. */
function declare (app: FastifyInstance): void {
  app.mcp.tool({
    name: 'echo',
    description: 'Echoes the text',
    inputSchema: Type.Object({ text: Type.String() }),
    handler: ({ text }) => ({ content: [{ type: 'text', text }] })
  })
  app.mcp.tool({
    name: 'ask',
    description: 'Asks the user for a name',
    handler: async (_args, ctx) => {
      const answer = await ctx.elicit({
        message: 'What is your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }
      }, { key: 'user_name' })
      return { content: [{ type: 'text', text: `Hello, ${String(answer.content?.name)}!` }] }
    }
  })
}

async function dualEraServer (t: TestContext): Promise<Served> {
  const app = Fastify()
  await app.register(mcpSession)
  await app.register(mcpTransport, { serverInfo: { name: 'dual', version: '1.2.3' } })
  declare(app)
  return serve(t, app)
}

type Mode = { pin: '2026-07-28' } | 'auto'

/** An SDK v2 client that answers elicitations with `name`, connected in `mode`. */
async function connectV2 (t: TestContext, served: Served, mode: Mode, init?: RequestInit): Promise<ClientV2> {
  const client = new ClientV2({ name: 'sdk-v2-e2e', version: '1.0.0' }, {
    capabilities: { elicitation: { form: {} } },
    versionNegotiation: { mode }
  })
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Ada' } }))
  t.after(() => client.close())
  await client.connect(new TransportV2(served.url, init === undefined ? undefined : { requestInit: init }))
  return client
}

test('SDK v2 pinned to 2026-07-28: discover, list, call, an elicitation round trip, a listen stream', async (t) => {
  const served = await dualEraServer(t)
  const client = await connectV2(t, served, { pin: '2026-07-28' })
  assert.equal(client.getProtocolEra(), 'modern')
  assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28')
  assert.deepEqual(client.getServerVersion(), { name: 'dual', version: '1.2.3' })

  const { tools } = await client.listTools(undefined, { cacheMode: 'refresh' })
  assert.deepEqual(tools.map((tool) => tool.name), ['echo', 'ask'])
  const echo = await client.callTool({ name: 'echo', arguments: { text: 'over 2026-07-28' } })
  assert.equal(textOf(echo), 'over 2026-07-28')
  // input_required, the handler above, the automatic retry with the answer and the sealed state.
  const asked = await client.callTool({ name: 'ask', arguments: {} })
  assert.equal(textOf(asked), 'Hello, Ada!')

  const changed = new Promise((resolve) => client.setNotificationHandler('notifications/tools/list_changed', resolve))
  const subscription = await client.listen({ toolsListChanged: true })
  assert.deepEqual(subscription.honoredFilter, { toolsListChanged: true })
  served.app.mcp.tool({ name: 'late', description: 'Added while listening', handler: () => ({ content: [] }) })
  await withTimeout(changed, 5000, 'tools/list_changed on the listen stream')
  const after = await client.listTools(undefined, { cacheMode: 'refresh' })
  assert.deepEqual(after.tools.map((tool) => tool.name), ['echo', 'ask', 'late'])
  await subscription.close()
  assert.equal(await subscription.closed, 'local')
  assert.equal(served.app.mcp.subscriptions, 0, 'the server let the subscription go')
})

test('SDK v2 in automatic mode chooses 2026-07-28 here; the v1 client gets the 2025 path of the same endpoint', async (t) => {
  const served = await dualEraServer(t)
  const auto = await connectV2(t, served, 'auto')
  assert.equal(auto.getProtocolEra(), 'modern')
  assert.equal(textOf(await auto.callTool({ name: 'ask', arguments: {} })), 'Hello, Ada!')

  const v1 = await connectStreamable(served, {
    setup: (client) => client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Grace' } }))
  })
  assert.equal(v1.client.getServerVersion()?.name, 'dual')
  assert.ok(v1.transport.sessionId !== undefined, 'the v1 client has a 2025 session')
  // The same handler, on 2025 traffic: a server-to-client elicitation/create on the stream.
  assert.equal(textOf(await v1.client.callTool({ name: 'ask', arguments: {} })), 'Hello, Grace!')
  assert.equal(served.app.mcpSessions.size, 1)
})
