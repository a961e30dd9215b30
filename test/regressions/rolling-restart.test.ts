// Regression: during a rolling restart behind a load balancer, a few plain calls failed with 503
// (or 502) in a way the client could not retry transparently. A node's /ready turned 503 only
// once `app.close()` had started, and from that moment Fastify refuses every new request, so
// whatever the balancer sent before it noticed was lost. Now a node reports not-ready first
// (`app.mcpMetrics.notReady()`), keeps serving until the balancer has noticed, then closes.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRoundRobinProxy } from '@mcp-fastify/example-cluster'
import mcpMetrics from '@mcp-fastify/mcp-metrics'
import mcpSession, { MemoryEventLog, MemoryMessageBus, MemorySessionStore } from '@mcp-fastify/mcp-session'
import mcpTransport from '@mcp-fastify/mcp-transport'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import Fastify, { type FastifyInstance } from 'fastify'
import { withTimeout } from '../helpers.ts'

/** The proxy asks each node's /ready this often; a node waits a few of these before it closes. */
const CHECK_MS = 100
const GRACE_MS = 10 * CHECK_MS

/** Nodes as processes sharing one Redis would be: their store, event log and bus shared. */
function nodeFactory (t: TestContext): (port: number) => Promise<FastifyInstance> {
  const services = { store: new MemorySessionStore(), eventLog: new MemoryEventLog(), bus: new MemoryMessageBus() }
  const live = new Set<FastifyInstance>()
  t.after(() => Promise.all([...live].map((app) => app.close())))
  return async (port) => {
    const app = Fastify()
    await app.register(mcpMetrics)
    await app.register(mcpSession, { ...services, retryMs: 20 })
    await app.register(mcpTransport)
    app.mcp.tool({ name: 'echo', handler: (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }] }) })
    app.addHook('onClose', async () => { live.delete(app) })
    await app.listen({ port, host: '127.0.0.1' })
    live.add(app)
    return app
  }
}

/** The documented shutdown: not ready, a grace for the balancer to notice, then close. */
async function shutDown (app: FastifyInstance): Promise<void> {
  app.mcpMetrics.notReady()
  await sleep(GRACE_MS)
  await app.close()
}

test('a rolling restart behind a balancer that follows /ready: every call of a busy client succeeds', async (t) => {
  const start = nodeFactory(t)
  const nodes = [await start(0), await start(0)]
  const targets = nodes.map((app) => new URL(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`))
  const proxy = createRoundRobinProxy(targets, { readyPath: '/ready', intervalMs: CHECK_MS })
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  t.after(() => {
    proxy.closeAllConnections()
    proxy.close()
  })
  const client = new Client({ name: 'rolling', version: '1.0.0' })
  t.after(() => client.close())
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/mcp`), {
    reconnectionOptions: { initialReconnectionDelay: 20, maxReconnectionDelay: 100, reconnectionDelayGrowFactor: 1.5, maxRetries: 10 }
  }))

  let calls = 0
  const failures: string[] = []
  const halt = new AbortController()
  const traffic = (async () => {
    while (!halt.signal.aborted) {
      try {
        const result = await client.callTool({ name: 'echo', arguments: { n: calls } })
        assert.deepEqual(result.content, [{ type: 'text', text: JSON.stringify({ n: calls }) }])
      } catch (error) {
        failures.push(String(error))
      }
      calls++
    }
  })()
  // Each node in turn: shut down under traffic, started again on its port, back in rotation.
  for (const [index, app] of nodes.entries()) {
    await sleep(4 * CHECK_MS)
    await withTimeout(shutDown(app), 5000, `node ${index} to shut down`)
    nodes[index] = await start(Number(targets[index]!.port))
  }
  await sleep(4 * CHECK_MS)
  halt.abort()
  await withTimeout(traffic, 5000, 'the last call')
  assert.deepEqual(failures, [], `${failures.length} of ${calls} calls failed`)
  assert.ok(calls > 20, `the client kept calling (${calls} calls)`)
})
