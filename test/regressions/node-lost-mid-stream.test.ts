// Regression: a call whose node died mid-stream was lost without a word. The client resumed its
// stream (Last-Event-ID) on another node, which replayed what was logged, found the writer dead
// (its probe unanswered) and ended the stream with neither a result nor an error; the client
// resumed again, got the same, and gave up. Now the follower answers the request with a
// JSON-RPC error saying its node went away (so the client can retry), logged as the stream's
// last event: every later resume replays the same answer.
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { ErrorCode } from '@mcp-fastify/mcp-protocol'
import { MemoryEventLog, MemoryMessageBus, MemorySessionStore, type MessageBus } from '@mcp-fastify/mcp-session'
import type { FastifyInstance } from 'fastify'
import {
  buildApp, callTool, httpClient, initialize, listen, messageOf, openStream, seqOf, streamOf, withTimeout
} from '../../packages/mcp-transport/test/helpers.ts'

/** A node's view of a shared bus, which goes silent when the node "dies" (as a killed process would). */
function mortalBus (shared: MessageBus): MessageBus & { die: () => void } {
  let dead = false
  return {
    die () { dead = true },
    async publish (topic, payload) { if (!dead) await shared.publish(topic, payload) },
    subscribe: (topic, listener) => shared.subscribe(topic, (payload) => { if (!dead) listener(payload) }),
    close: async () => {}
  }
}

/** Three nodes sharing a store, an event log and a bus, like processes on one Redis; A can die. */
async function threeNodes (t: TestContext): Promise<{ a: FastifyInstance, b: FastifyInstance, c: FastifyInstance, killA: () => void }> {
  const store = new MemorySessionStore()
  const eventLog = new MemoryEventLog()
  const shared = new MemoryMessageBus()
  const busA = mortalBus(shared)
  const hang = new AbortController()
  t.after(() => hang.abort())
  const declare = (app: FastifyInstance['mcp']): void => {
    app.tool({
      name: 'long',
      description: 'Two progress steps, then runs until its node dies',
      handler: async (_args, ctx) => {
        await ctx.progress(1, 3)
        await ctx.progress(2, 3)
        await new Promise((resolve) => hang.signal.addEventListener('abort', resolve))
        return { content: [{ type: 'text', text: 'never' }] }
      }
    })
  }
  const a = await buildApp(t, { sessions: { store, eventLog, bus: busA }, declare })
  const b = await buildApp(t, { sessions: { store, eventLog, bus: mortalBus(shared) }, declare })
  const c = await buildApp(t, { sessions: { store, eventLog, bus: mortalBus(shared) }, declare })
  return { a, b, c, killA: () => busA.die() }
}

test('a call whose node dies mid-stream: the stream resumed on another node ends with an error for that request, not in silence', async (t) => {
  const agent = httpClient(t)
  const { a, b, c, killA } = await threeNodes(t)
  const [urlA, urlB, urlC] = [`${await listen(a)}/mcp`, `${await listen(b)}/mcp`, `${await listen(c)}/mcp`]
  const { headers } = await initialize(a)
  const call = await openStream(agent, urlA, { method: 'POST', headers, body: callTool(7, 'long', {}, 'p') })
  const priming = await call.sse.next()
  assert.equal(priming.data, '')
  const first = await call.sse.next()
  assert.equal(messageOf(first).params.progress, 1)
  // The node dies: it answers nothing any more, and its connections drop.
  killA()
  call.sse.close()

  const resumed = await openStream(agent, urlB, { headers: { ...headers, 'last-event-id': first.id! } })
  assert.equal(resumed.statusCode, 200)
  const events = await resumed.sse.rest(5000)
  assert.deepEqual(events.map((event) => messageOf(event).params?.progress ?? 'answer'), [2, 'answer'], 'the missed step, then an answer')
  const answer = messageOf(events.at(-1))
  assert.equal(answer.id, 7, 'the answer names the request')
  assert.equal(answer.error?.code, ErrorCode.NodeGone)
  assert.match(answer.error.message, /went away/)
  assert.equal(streamOf(events.at(-1)!.id), streamOf(first.id), 'an event of the stream, with an id')
  assert.equal(seqOf(events.at(-1)!.id), seqOf(first.id) + 2)

  // Resumed again, on any node: the same answer, once.
  for (const url of [urlB, urlC]) {
    const again = await openStream(agent, url, { headers: { ...headers, 'last-event-id': first.id! } })
    const replayed = await withTimeout(again.sse.rest(5000), 6000, 'the second resume')
    assert.deepEqual(replayed.map((event) => event.id), events.map((event) => event.id))
    assert.deepEqual(messageOf(replayed.at(-1)), answer)
  }
})
