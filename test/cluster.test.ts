import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { createRoundRobinProxy } from '@mcp-fastify/example-cluster'
import mcpSession from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { Type } from '@sinclair/typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import { Agent, request } from 'undici'
import { redisOrSkip } from '../packages/mcp-session/test/redis-helpers.ts'
import { withTimeout } from './helpers.ts'

interface Cluster {
  nodes: FastifyInstance[]
  /** The URLs the proxy spreads requests over; remove one to take its node out. */
  targets: URL[]
  /** The proxy's MCP endpoint. */
  url: URL
  /** Requests each node answered, by index. */
  hits: number[]
  /** Which node ran each call of `work` and `long`, in order. */
  ranOn: number[]
  release: () => void
}

/**
 * Three Fastify nodes sharing one Redis, behind a round-robin proxy with no session affinity:
 * every request goes to the next node.
 */
async function cluster (t: TestContext, redis: { url: string, prefix: string }): Promise<Cluster> {
  const nodes: FastifyInstance[] = []
  const hits = [0, 0, 0]
  const ranOn: number[] = []
  let release: () => void = () => {}
  let released = new Promise<void>((resolve) => { release = resolve })
  for (const index of [0, 1, 2]) {
    const app = Fastify()
    await app.register(mcpSession, { redis: redis.url, keyPrefix: redis.prefix, retryMs: 50 })
    await app.register(mcpTransport, { drainTimeoutMs: 5000 })
    app.addHook('onRequest', async () => { hits[index]!++ })
    app.mcp.tool({
      name: 'work',
      description: 'Reports progress, asks the client to sample, reports again',
      inputSchema: Type.Object({ topic: Type.String() }),
      handler: async ({ topic }, ctx) => {
        ranOn.push(index)
        await ctx.progress(1, 2, 'asking')
        const answer = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: topic } }], maxTokens: 10 })
        await ctx.progress(2, 2, 'answered')
        return { content: [{ type: 'text', text: `${topic}: ${'text' in answer.content ? String(answer.content.text) : ''}` }] }
      }
    })
    app.mcp.tool({
      name: 'long',
      description: 'Three progress steps, then waits for the test, then three more and the result',
      handler: async (_args, ctx) => {
        ranOn.push(index)
        for (const step of [1, 2, 3]) await ctx.progress(step, 6)
        await released
        for (const step of [4, 5, 6]) await ctx.progress(step, 6)
        return { content: [{ type: 'text', text: 'long done' }] }
      }
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    nodes.push(app)
  }
  const targets = nodes.map((app) => new URL(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`))
  const proxy = createRoundRobinProxy(targets)
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  t.after(async () => {
    release()
    proxy.closeAllConnections()
    proxy.close()
    await Promise.all(nodes.map((app) => app.close()))
  })
  return {
    nodes,
    targets,
    url: new URL(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mcp`),
    hits,
    ranOn,
    release: () => {
      release()
      released = Promise.resolve()
    }
  }
}

function sdkClient (t: TestContext, url: URL): { client: Client, transport: StreamableHTTPClientTransport } {
  const client = new Client({ name: 'cluster-test', version: '1.0.0' }, { capabilities: { sampling: {} } })
  const transport = new StreamableHTTPClientTransport(url, {
    reconnectionOptions: { initialReconnectionDelay: 50, maxReconnectionDelay: 200, reconnectionDelayGrowFactor: 1.5, maxRetries: 5 }
  })
  t.after(() => client.close())
  return { client, transport }
}

test('cluster: initialize on one node, calls on the others; progress and a sampling request answered across nodes', async (t) => {
  const redis = await redisOrSkip(t)
  if (redis === undefined) return
  const { url, hits, ranOn } = await cluster(t, redis)
  const { client, transport } = sdkClient(t, url)
  const sampled: string[] = []
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    const content = request.params.messages[0]?.content
    sampled.push(content !== undefined && 'text' in content ? String(content.text) : '')
    return { role: 'assistant', content: { type: 'text', text: 'from the client' }, model: 'test-model' }
  })
  await client.connect(transport)
  const tools = await client.listTools()
  assert.deepEqual(tools.tools.map((tool) => tool.name).sort(), ['long', 'work'])

  for (const topic of ['alpha', 'beta', 'gamma']) {
    const progress: number[] = []
    const result = await withTimeout(client.callTool({ name: 'work', arguments: { topic } }, undefined, {
      onprogress: ({ progress: value }) => { progress.push(value) }
    }), 5000, `the call about ${topic}`)
    assert.deepEqual(result.content, [{ type: 'text', text: `${topic}: from the client` }])
    assert.deepEqual(progress, [1, 2])
  }
  assert.deepEqual(sampled, ['alpha', 'beta', 'gamma'])
  // No affinity: every node answered requests of this one session, and ran some of the calls.
  assert.ok(hits.every((count) => count > 0), `requests per node: ${hits.join(', ')}`)
  assert.ok(new Set(ranOn).size > 1, `calls ran on nodes ${ranOn.join(', ')}`)
})

test('cluster: the node running a call shuts down mid-stream; the SDK client resumes on another node and gets the rest, nothing lost or doubled', async (t) => {
  const redis = await redisOrSkip(t)
  if (redis === undefined) return
  const { nodes, targets, url, ranOn, release } = await cluster(t, redis)
  const { client, transport } = sdkClient(t, url)
  await client.connect(transport)
  const progress: number[] = []
  let running!: () => void
  const threeSteps = new Promise<void>((resolve) => { running = resolve })
  const call = client.callTool({ name: 'long', arguments: {} }, undefined, {
    onprogress: ({ progress: value }) => {
      progress.push(value)
      if (value === 3) running()
    }
  })
  await withTimeout(threeSteps, 5000, 'the first three progress steps')
  const node = ranOn[0]!
  // The balancer takes the node out, the node shuts down: its POST stream ends with a retry hint
  // while the call goes on, published on the bus for whichever node the client comes back to.
  targets.splice(targets.findIndex((target) => target.port === String((nodes[node]!.server.address() as AddressInfo).port)), 1)
  const closing = nodes[node]!.close()
  release()
  const result = await withTimeout(call, 5000, 'the result, on another node')
  await withTimeout(closing, 5000, 'the node to finish its call and close')
  assert.deepEqual(result.content, [{ type: 'text', text: 'long done' }])
  assert.deepEqual(progress, [1, 2, 3, 4, 5, 6])
})

test('cluster: a POST stream resumed with Last-Event-ID on another node gets exactly the missed events, then the live ones', async (t) => {
  const redis = await redisOrSkip(t)
  if (redis === undefined) return
  const { nodes, release } = await cluster(t, redis)
  const [a, b] = nodes.map((app) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/mcp`)
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' }
  const dispatcher = new Agent()
  const init = await request(a!, {
    dispatcher,
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
  })
  await init.body.text()
  const session = { ...headers, 'mcp-session-id': String(init.headers['mcp-session-id']) }
  // Node A answers the call as SSE; the client reads the priming event and the first progress event(s), then drops.
  const abort = new AbortController()
  const posted = await request(a!, {
    dispatcher,
    method: 'POST',
    headers: session,
    signal: abort.signal,
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'long', arguments: {}, _meta: { progressToken: 'p' } } })
  })
  const seen: Array<{ id: string, data: string }> = []
  let buffer = ''
  for await (const chunk of posted.body) {
    buffer += String(chunk)
    seen.push(...takeEvents(buffer))
    buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2)
    if (seen.some((event) => event.data !== '')) break
  }
  abort.abort()
  const last = seen.at(-1)!.id
  // Resume on node B: the steps sent meanwhile, then live the rest and the result.
  const resumed = await request(b!, { dispatcher, method: 'GET', headers: { ...session, accept: 'text/event-stream', 'last-event-id': last } })
  assert.equal(resumed.statusCode, 200)
  setTimeout(release, 100)
  const rest = takeEvents(await withTimeout(resumed.body.text(), 5000, 'the resumed stream to end'))
  const before = seen.filter((event) => event.data !== '').map((event) => JSON.parse(event.data).params.progress)
  const progress = rest.map((event) => JSON.parse(event.data)).map((message) => message.params?.progress ?? message.result?.content?.[0]?.text)
  // What the client had, then what it missed and what came live: each step once, in order.
  assert.deepEqual([...before, ...progress], [1, 2, 3, 4, 5, 6, 'long done'])
  assert.ok(progress.length >= 4, 'the resumed stream carries the steps sent after the drop')
  const ids = [...seen, ...rest].map((event) => event.id).filter((id) => id !== '')
  assert.equal(new Set(ids).size, ids.length, `no event twice: ${ids.join(' ')}`)
  await dispatcher.destroy()
})

function takeEvents (text: string): Array<{ id: string, data: string }> {
  return text.split('\n\n').filter((block) => block.includes('data:')).map((block) => {
    const lines = block.split('\n')
    const field = (name: string): string => lines.filter((line) => line.startsWith(`${name}:`)).map((line) => line.slice(name.length + 1).trim()).join('')
    return { id: field('id'), data: field('data') }
  })
}
