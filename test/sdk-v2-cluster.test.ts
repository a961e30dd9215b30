// 2026-07-28 across nodes: two Fastify nodes sharing one Redis (mcp-session's bus), behind a
// round-robin proxy with no affinity, used by the official SDK v2 client. A Multi Round-Trip
// Request whose retry lands on the other node completes there (both nodes seal requestState
// with the same key); a listen stream held by one node hears a change made on the other.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { createRoundRobinProxy } from '@mcp-fastify/example-cluster'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import Fastify, { type FastifyInstance } from 'fastify'
import { redisOrSkip } from '../packages/mcp-session/test/redis-helpers.ts'
import { textOf, withTimeout } from './helpers.ts'

const SHARED_KEY = 'a shared requestState key, 32+ bytes long'

async function twoNodes (t: TestContext, redis: { url: string, prefix: string }): Promise<{ nodes: FastifyInstance[], url: URL, ranOn: number[] }> {
  const nodes: FastifyInstance[] = []
  const ranOn: number[] = []
  for (const index of [0, 1]) {
    const app = Fastify()
    await app.register(mcpSession, { redis: redis.url, keyPrefix: redis.prefix })
    await app.register(mcpTransport, { requestState: { keys: [SHARED_KEY] } })
    app.mcp.tool({
      name: 'ask',
      description: 'Asks for a name',
      handler: async (_args, ctx) => {
        ranOn.push(index)
        const answer = await ctx.elicit({ message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } })
        return { content: [{ type: 'text', text: `Hello, ${String(answer.content?.name)} (asked on node ${ranOn[0]}, answered on node ${index})` }] }
      }
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    nodes.push(app)
  }
  const proxy = createRoundRobinProxy(nodes.map((app) => new URL(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`)))
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  t.after(async () => {
    proxy.closeAllConnections()
    proxy.close()
    await Promise.all(nodes.map((app) => app.close()))
  })
  return { nodes, url: new URL(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mcp`), ranOn }
}

async function connect (t: TestContext, url: URL): Promise<Client> {
  const client = new Client({ name: 'cluster-v2', version: '1.0.0' }, {
    capabilities: { elicitation: { form: {} } },
    versionNegotiation: { mode: { pin: '2026-07-28' } }
  })
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Ada' } }))
  t.after(() => client.close())
  await client.connect(new StreamableHTTPClientTransport(url))
  return client
}

test('an MRTR round trip whose retry lands on the other node completes there', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const { url, ranOn } = await twoNodes(t, fx)
  const client = await connect(t, url)
  const result = await client.callTool({ name: 'ask', arguments: {} })
  assert.equal(ranOn.length, 2, 'the handler ran once per round')
  assert.notEqual(ranOn[0], ranOn[1], 'the round robin sent the retry to the other node')
  assert.equal(textOf(result), `Hello, Ada (asked on node ${ranOn[0]}, answered on node ${ranOn[1]})`)
})

test('a listen stream on one node hears a tool added on the other', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const { nodes, url } = await twoNodes(t, fx)
  const client = await connect(t, url)
  const changed = new Promise((resolve) => client.setNotificationHandler('notifications/tools/list_changed', resolve))
  const subscription = await client.listen({ toolsListChanged: true })
  const holder = nodes.findIndex((app) => app.mcp.subscriptions === 1)
  assert.ok(holder !== -1, 'one node holds the stream')
  const other = nodes[1 - holder]!
  other.mcp.tool({ name: 'late', description: 'Added on the other node', handler: () => ({ content: [] }) })
  await withTimeout(changed, 5000, 'tools/list_changed from the other node')
  await subscription.close()
})
