import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { ErrorCode, type McpServer } from '@mcp-fastify/mcp-protocol'
import { MemoryEventLog, MemoryMessageBus, MemorySessionStore, type MessageBus } from '@mcp-fastify/mcp-session'
import type { FastifyInstance } from 'fastify'
import { buildApp, callTool, httpClient, initialize, listen, messageOf, openStream, rpc, type SseEvent } from './helpers.ts'

/**
 * Two nodes on shared memory services (a cluster without Redis). The writer's bus can go silent,
 * as a killed node's would: its probes are unanswered, so the node a client resumes on answers
 * the request itself.
 */
async function cluster (t: TestContext): Promise<{ writer: string, follower: string, kill: () => void, writerApp: FastifyInstance }> {
  const store = new MemorySessionStore()
  const eventLog = new MemoryEventLog()
  const shared = new MemoryMessageBus()
  let dead = false
  const mortal: MessageBus = {
    async publish (topic, payload) { if (!dead) await shared.publish(topic, payload) },
    subscribe: (topic, listener) => shared.subscribe(topic, (payload) => { if (!dead) listener(payload) }),
    close: async () => {}
  }
  const hang = new AbortController()
  t.after(() => hang.abort())
  const declare = (mcp: McpServer): void => {
    mcp.tool({
      name: 'stuck',
      handler: async (_args, ctx) => {
        await ctx.progress(1, 2)
        await new Promise((resolve) => hang.signal.addEventListener('abort', resolve))
        return { content: [] }
      }
    })
  }
  const writerApp = await buildApp(t, { sessions: { store, eventLog, bus: mortal }, declare })
  const followerApp = await buildApp(t, { sessions: { store, eventLog, bus: shared }, declare })
  return { writer: `${await listen(writerApp)}/mcp`, follower: `${await listen(followerApp)}/mcp`, kill: () => { dead = true }, writerApp }
}

/** Posts `body` to the writer, reads up to the first message, kills the writer; resumes on the follower. */
async function resumeAfterDeath (t: TestContext, protocolVersion: string, body: unknown): Promise<SseEvent[]> {
  const agent = httpClient(t)
  const { writer, follower, kill, writerApp } = await cluster(t)
  const { headers } = await initialize(writerApp, protocolVersion)
  const call = await openStream(agent, writer, { method: 'POST', headers, body })
  let seen = await call.sse.next()
  while (seen.data === '') seen = await call.sse.next()
  kill()
  call.sse.close()
  const resumed = await openStream(agent, follower, { headers: { ...headers, 'last-event-id': seen.id! } })
  assert.equal(resumed.statusCode, 200)
  return resumed.sse.rest(5000)
}

const NODE_GONE = { code: ErrorCode.NodeGone, message: 'The server node answering this request went away before it answered; the request may be retried' }

test('a request whose node went away is answered on its resumed stream with NodeGone (-32004) and its id, a string id too', async (t) => {
  const events = await resumeAfterDeath(t, '2025-11-25', callTool('call-b2f1c0de', 'stuck', {}, 'p'))
  assert.equal(events.length, 1)
  assert.deepEqual(messageOf(events[0]), { jsonrpc: '2.0', id: 'call-b2f1c0de', error: NODE_GONE })
  assert.ok(events[0]!.id !== undefined, 'an event with an id: a later resume replays it')
})

test('a batch whose node went away is answered without an id (a stream answers several requests)', async (t) => {
  const events = await resumeAfterDeath(t, '2025-03-26', [callTool(1, 'stuck', {}, 'p'), rpc(2, 'ping')])
  assert.deepEqual(events.map((event) => messageOf(event)).at(-1), { jsonrpc: '2.0', error: NODE_GONE })
})
