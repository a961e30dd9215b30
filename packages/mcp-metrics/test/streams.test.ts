import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test, type TestContext } from 'node:test'
import { Agent, request } from 'undici'
import { buildApp, callTool, deferred, initialize, JSON_AND_SSE, listen, scrape } from './helpers.ts'

/** Resolves with the next message published on a diagnostics channel. */
function nextOn (t: TestContext, name: string): Promise<unknown> {
  const next = deferred<unknown>()
  const listener = (message: unknown): void => next.resolve(message)
  subscribe(name, listener)
  t.after(() => unsubscribe(name, listener))
  return next.promise
}

function agentFor (t: TestContext): Agent {
  const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10 })
  t.after(() => agent.destroy())
  return agent
}

test('a GET stream: active while open, by kind; no longer active once the client goes', async (t) => {
  const agent = agentFor(t)
  const app = await buildApp(t)
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)

  const stream = await request(url, { dispatcher: agent, method: 'GET', headers: { ...headers, accept: 'text/event-stream' } })
  assert.equal(stream.statusCode, 200)
  let metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_sse_streams_active', { kind: 'get' }), 1)
  assert.equal(metrics.value('mcp_server_sse_streams_opened_total', { kind: 'get' }), 1)

  const closed = nextOn(t, 'mcp-fastify:sse:close')
  stream.body.destroy()
  await closed
  metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_sse_streams_active', { kind: 'get' }), 0)
  assert.equal(metrics.value('mcp_server_sse_streams_opened_total', { kind: 'get' }), 1)
})

test('a stream resumed with Last-Event-ID: resumptions and replayed events are counted', async (t) => {
  const agent = agentFor(t)
  const app = await buildApp(t, {
    declare: (mcp) => {
      mcp.tool({
        name: 'poll',
        async handler (_args, ctx) {
          await ctx.log('info', 'one')
          ctx.closeStream()
          await ctx.log('info', 'two')
          return { content: [{ type: 'text', text: 'poll done' }] }
        }
      })
    }
  })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const answer = await request(url, {
    dispatcher: agent,
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', accept: JSON_AND_SSE },
    body: JSON.stringify(callTool(1, 'poll'))
  })
  const ids = [...(await answer.body.text()).matchAll(/^id: (\S+)$/gm)].map((found) => found[1]!)
  assert.ok(ids.length > 0, 'the POST stream gave event ids')

  const resumedEvent = nextOn(t, 'mcp-fastify:stream:resume')
  const resumed = await request(url, {
    dispatcher: agent, method: 'GET', headers: { ...headers, accept: 'text/event-stream', 'last-event-id': ids.at(-1)! }
  })
  assert.equal(resumed.statusCode, 200)
  assert.match(await resumed.body.text(), /poll done/)
  const { replayed } = await resumedEvent as { replayed: number }
  assert.ok(replayed >= 1)

  const metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_stream_resumptions_total'), 1)
  assert.equal(metrics.value('mcp_server_stream_replayed_events_total'), replayed)
  assert.equal(metrics.value('mcp_server_sse_streams_opened_total', { kind: 'post' }), 1)
  assert.equal(metrics.value('mcp_server_sse_streams_opened_total', { kind: 'get' }), 1)
})
