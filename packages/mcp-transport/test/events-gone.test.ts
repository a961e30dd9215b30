import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertRpcError, assertServes, buildApp, callTool, initialize, parseSse, post } from './helpers.ts'

test('a Last-Event-ID older than what the event log keeps: 410 with a JSON-RPC error, not a replay with a hole', async (t) => {
  const app = await buildApp(t, {
    sessions: { maxEventsPerSession: 5 },
    declare: (mcp) => mcp.tool({
      name: 'chatty',
      handler: async (_args, ctx) => {
        for (let step = 1; step <= 10; step++) await ctx.progress(step, 10)
        return { content: [{ type: 'text', text: 'done' }] }
      }
    })
  })
  const { headers } = await initialize(app)
  const events = parseSse((await post(app, callTool(1, 'chatty', {}, 'p'), headers)).body).filter((event) => event.data !== '')
  assert.equal(events.length, 11, 'ten progress events and the result')
  const get = (lastEventId: string) => app.inject({ method: 'GET', url: '/mcp', headers: { ...headers, accept: 'text/event-stream', 'last-event-id': lastEventId } })

  // The log keeps the last 5 events (6..10 and the result): resuming after event 2 would skip 3..5.
  assertRpcError(await get(events[1]!.id!), {
    status: 410,
    code: -32000,
    message: 'Events after this Last-Event-ID are no longer kept (past the event log\'s bounds): retry the request'
  })
  // After event 6, everything still needed is kept: the rest is replayed.
  const rest = parseSse((await get(events[5]!.id!)).body)
  assert.deepEqual(rest.map((event) => event.id), events.slice(6).map((event) => event.id))
  await assertServes(app, headers)
})
