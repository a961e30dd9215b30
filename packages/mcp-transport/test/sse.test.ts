import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import {
  assertRpcError, buildApp, callTool, httpClient, initialize, listen, messageOf, openStream, post, rpc, send, seqOf,
  withTimeout, EVENT_ID
} from './helpers.ts'

function declare (mcp: McpServer): void {
  for (const uri of ['test://a', 'test://b']) {
    mcp.resource({ uri, name: uri, read: () => ({ contents: [{ uri, text: uri }] }) })
  }
  mcp.tool({
    name: 'chatty',
    async handler (_args, ctx) {
      await ctx.progress(1)
      return { content: [{ type: 'text', text: 'done' }] }
    }
  })
}

let toolCount = 0
/** Registers a tool at runtime, which tells every open GET stream `notifications/tools/list_changed`. */
function addTool (mcp: McpServer): void {
  mcp.tool({ name: `late-${++toolCount}`, handler: () => ({ content: [] }) })
}

test('GET opens a text/event-stream, unbuffered, starting with a priming event (2025-11-25)', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const get = await openStream(agent, url, { headers })
  assert.equal(get.statusCode, 200)
  assert.equal(get.headers['content-type'], 'text/event-stream')
  assert.equal(get.headers['x-accel-buffering'], 'no')
  assert.match(String(get.headers['cache-control']), /no-cache/)
  const priming = await get.sse.next()
  assert.equal(priming.data, '')
  assert.equal(priming.retry, 1000)
  assert.match(priming.id ?? '', EVENT_ID)
  assert.equal(seqOf(priming.id), 0)
  addTool(app.mcp)
  const changed = await get.sse.next()
  assert.deepEqual(messageOf(changed), { jsonrpc: '2.0', method: 'notifications/tools/list_changed' })
  assert.equal(changed.id, priming.id?.replace(/\.0$/, '.1'))
})

test('GET at 2025-06-18: no priming event, notifications still carry ids', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app, '2025-06-18')
  const get = await openStream(agent, url, { headers })
  assert.equal(get.statusCode, 200)
  addTool(app.mcp)
  const first = await get.sse.next()
  assert.deepEqual(messageOf(first), { jsonrpc: '2.0', method: 'notifications/tools/list_changed' })
  assert.equal(seqOf(first.id), 1)
})

test('resourceUpdated reaches the GET stream of a subscribed session only', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const a = await initialize(app)
  const b = await initialize(app)
  for (const [session, uri] of [[a, 'test://a'], [b, 'test://b']] as const) {
    const subscribed = await post(app, rpc(1, 'resources/subscribe', { uri }), session.headers)
    assert.deepEqual(JSON.parse(subscribed.body), { jsonrpc: '2.0', id: 1, result: {} })
  }
  const getA = await openStream(agent, url, { headers: a.headers })
  const getB = await openStream(agent, url, { headers: b.headers })
  assert.equal((await getA.sse.next()).data, '')
  assert.equal((await getB.sse.next()).data, '')

  app.mcp.resourceUpdated('test://a')
  assert.deepEqual(messageOf(await getA.sse.next()),
    { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'test://a' } })
  // Something both get: B's next event is that, not A's update.
  addTool(app.mcp)
  assert.equal(messageOf(await getA.sse.next()).method, 'notifications/tools/list_changed')
  assert.equal(messageOf(await getB.sse.next()).method, 'notifications/tools/list_changed')

  // After unsubscribing, A no longer gets updates of that resource.
  const unsubscribed = await post(app, rpc(2, 'resources/unsubscribe', { uri: 'test://a' }), a.headers)
  assert.deepEqual(JSON.parse(unsubscribed.body), { jsonrpc: '2.0', id: 2, result: {} })
  app.mcp.resourceUpdated('test://a')
  app.mcp.resourceUpdated('test://b')
  assert.deepEqual(messageOf(await getB.sse.next()),
    { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'test://b' } })
  addTool(app.mcp)
  assert.equal(messageOf(await getA.sse.next()).method, 'notifications/tools/list_changed')
})

test('a tool added at runtime sends tools/list_changed on every open GET stream, once each', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const sessions = [await initialize(app), await initialize(app, '2025-03-26')]
  for (const { headers } of sessions) {
    const subscribed = await post(app, rpc(1, 'resources/subscribe', { uri: 'test://a' }), headers)
    assert.equal(subscribed.statusCode, 200)
  }
  const streams = await Promise.all(sessions.map(({ headers }) => openStream(agent, url, { headers })))
  assert.equal((await streams[0]!.sse.next()).data, '', 'the 2025-11-25 stream is primed')
  addTool(app.mcp)
  app.mcp.resourceUpdated('test://a') // a marker: nothing between the two
  for (const { sse } of streams) {
    assert.deepEqual(messageOf(await sse.next()), { jsonrpc: '2.0', method: 'notifications/tools/list_changed' })
    assert.equal(messageOf(await sse.next()).method, 'notifications/resources/updated')
  }
  // The new tool is listed.
  const listed = await post(app, rpc(3, 'tools/list'), sessions[0]!.headers)
  assert.ok(JSON.parse(listed.body).result.tools.some((tool: { name: string }) => tool.name.startsWith('late-')))
})

test('DELETE: 204 with no body, then the session\'s GET stream ends and the session is gone', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const other = await initialize(app)
  const get = await openStream(agent, url, { headers })
  const otherGet = await openStream(agent, url, { headers: other.headers })
  await get.sse.next()
  await otherGet.sse.next()
  const deleted = await send(agent, url, { method: 'DELETE', headers })
  assert.equal(deleted.statusCode, 204)
  assert.equal(deleted.body, '')
  assert.deepEqual(await get.sse.rest(), [])
  assert.equal(get.sse.error, undefined, 'ended by the server, cleanly')
  assertRpcError(await send(agent, url, { method: 'GET', headers: { ...headers, accept: 'text/event-stream' } }),
    { status: 404, code: -32001, message: 'Session not found' })
  // The other session's stream lives on.
  addTool(app.mcp)
  assert.equal(messageOf(await otherGet.sse.next()).method, 'notifications/tools/list_changed')
})

test('keep-alive comments arrive every keepAliveMs on an open GET stream', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare, transport: { keepAliveMs: 50 } })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const get = await openStream(agent, url, { headers })
  await get.sse.next()
  assert.equal(await get.sse.nextComment(2000), 'keepalive')
  assert.equal(await get.sse.nextComment(2000), 'keepalive')
  // Comments do not disturb events.
  addTool(app.mcp)
  assert.equal(messageOf(await get.sse.next()).method, 'notifications/tools/list_changed')
})

test('a second GET of a session takes the stream over: the first connection ends, nothing is sent twice', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const first = await openStream(agent, url, { headers })
  await first.sse.next()
  const second = await openStream(agent, url, { headers })
  await second.sse.next()
  assert.deepEqual(await first.sse.rest(), [])
  addTool(app.mcp)
  assert.equal(messageOf(await second.sse.next()).method, 'notifications/tools/list_changed')
})

test("responseMode 'json': what a tool sends before its result goes to the session's GET stream", async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare, transport: { responseMode: 'json' } })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const get = await openStream(agent, url, { headers })
  await get.sse.next()
  const response = await post(app, callTool(7, 'chatty', {}, 'tok'), headers)
  assert.equal(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  assert.deepEqual(JSON.parse(response.body), { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'done' }] } })
  assert.deepEqual(messageOf(await get.sse.next()),
    { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'tok', progress: 1 } })
  // ...and never the response itself.
  addTool(app.mcp)
  assert.equal(messageOf(await get.sse.next()).method, 'notifications/tools/list_changed')
})

test('HEAD on the endpoint opens no stream and leaves the session\'s GET stream alone', async (t) => {
  const agent = httpClient(t)
  const headAgent = httpClient(t)
  const app = await buildApp(t, { declare, transport: { keepAliveMs: 0 } })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const get = await openStream(agent, url, { headers })
  await get.sse.next()
  const head = await withTimeout(send(headAgent, url, { method: 'HEAD', headers: { ...headers, accept: 'text/event-stream' } }), 2000, 'HEAD')
  addTool(app.mcp)
  assert.equal(messageOf(await get.sse.next()).method, 'notifications/tools/list_changed')
  assert.equal(head.statusCode, 405)
  assert.notEqual(head.headers['content-type'], 'text/event-stream')
})

test('closing the app ends open GET streams with a retry hint, and does not hang', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare, sessions: { retryMs: 321 } })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const get = await openStream(agent, url, { headers })
  await get.sse.next()
  await withTimeout(app.close(), 2000, 'app.close()')
  const rest = await get.sse.rest()
  assert.deepEqual(rest, [{ data: '', retry: 321 }])
})

test('an SSE stream with nothing to say yet still opens at once: its headers are not held back', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app, '2025-06-18')
  const get = await withTimeout(openStream(agent, url, { headers }), 2000, 'the GET stream\'s headers')
  assert.equal(get.statusCode, 200)
  assert.equal(get.headers['content-type'], 'text/event-stream')
})
