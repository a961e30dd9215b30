import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import { MemoryMessageBus } from '@mcp-fastify/mcp-session'
import {
  buildApp, envelope, httpClient, listen, messageOf, modernHeaders, modernPost, modernRequest, openStream, withTimeout, type OpenedStream
} from './helpers.ts'

// subscriptions/listen (2026-07-28): a POST whose SSE answer stays open, acknowledged first,
// carrying only the notifications asked for, each tagged with the subscription id, and ended
// with a final result when the server closes it.

const SUBSCRIPTION = 'io.modelcontextprotocol/subscriptionId'

function declare (mcp: McpServer): void {
  mcp.tool({ name: 'first', description: 'Here from the start', handler: () => ({ content: [] }) })
  mcp.prompt({ name: 'hello', description: 'A prompt', get: () => ({ messages: [] }) })
  mcp.resource({ uri: 'notes://1', name: 'note', read: (uri) => ({ contents: [{ uri, text: 'one' }] }) })
}

let count = 0
/** A tool added at run time: every listen stream that asked for tool changes hears of it. */
function addTool (mcp: McpServer): void {
  mcp.tool({ name: `late-${++count}`, description: 'Late', handler: () => ({ content: [] }) })
}

async function openListen (agent: ReturnType<typeof httpClient>, url: string, id: number | string, notifications: unknown): Promise<OpenedStream> {
  const body = modernRequest(id, 'subscriptions/listen', { notifications })
  return openStream(agent, url, { method: 'POST', body, headers: modernHeaders(body) })
}

test('the acknowledgement comes first with what is honoured; notifications are tagged, unbuffered, without event ids', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const stream = await openListen(agent, url, 'listen:0', {
    toolsListChanged: true, promptsListChanged: false, bogus: true, resourceSubscriptions: ['notes://1', 'notes://nowhere', 'notes://1']
  })
  assert.equal(stream.statusCode, 200)
  assert.equal(stream.headers['content-type'], 'text/event-stream')
  assert.equal(stream.headers['x-accel-buffering'], 'no')
  assert.equal(stream.headers['mcp-session-id'], undefined)
  const ack = await stream.sse.next()
  assert.deepEqual(messageOf(ack), {
    jsonrpc: '2.0',
    method: 'notifications/subscriptions/acknowledged',
    params: { notifications: { toolsListChanged: true, resourceSubscriptions: ['notes://1'] }, _meta: { [SUBSCRIPTION]: 'listen:0' } }
  })
  assert.equal(ack.id, undefined, 'nothing resumes on 2026-07-28: no event ids')
  addTool(app.mcp)
  app.mcp.resourceUpdated('notes://nowhere')
  app.mcp.resourceUpdated('notes://1')
  const changed = await stream.sse.next()
  assert.deepEqual(messageOf(changed), { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: { [SUBSCRIPTION]: 'listen:0' } } })
  const updated = await stream.sse.next()
  assert.deepEqual(messageOf(updated), { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'notes://1', _meta: { [SUBSCRIPTION]: 'listen:0' } } })
  assert.equal(app.mcp.subscriptions, 1)
})

test('only what a stream asked for: a prompts stream hears no tool changes; a numeric id stays a number', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const prompts = await openListen(agent, url, 42, { promptsListChanged: true })
  assert.deepEqual(messageOf(await prompts.sse.next()).params._meta, { [SUBSCRIPTION]: 42 })
  addTool(app.mcp)
  app.mcp.prompt({ name: 'late-prompt', description: 'Late', get: () => ({ messages: [] }) })
  const next = messageOf(await prompts.sse.next())
  assert.equal(next.method, 'notifications/prompts/list_changed', 'the tool change was not sent here')
})

test('a broadcast is serialized once: each stream gets its own id, escaped, beside the notification\'s own _meta', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const ids = ['say "hi"\\ \u2028', 7, 'plain']
  const streams = await Promise.all(ids.map((id) => openListen(agent, url, id, { toolsListChanged: true })))
  for (const stream of streams) await stream.sse.next()
  app.mcp.notifySubscribers({ jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { note: 'x', _meta: { 'example.com/origin': 'deploy' } } })
  for (const [at, stream] of streams.entries()) {
    assert.deepEqual(messageOf(await stream.sse.next()), {
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
      params: { note: 'x', _meta: { 'example.com/origin': 'deploy', [SUBSCRIPTION]: ids[at] } }
    })
  }
})

test('the server closing ends each stream with its final result; the client closing ends the subscription', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const staying = await openListen(agent, url, 'stay', { toolsListChanged: true })
  const leaving = await openListen(agent, url, 'leave', { toolsListChanged: true })
  await staying.sse.next()
  await leaving.sse.next()
  assert.equal(app.mcp.subscriptions, 2)
  leaving.sse.close()
  await withTimeout((async () => { while (app.mcp.subscriptions > 1) await new Promise((resolve) => setImmediate(resolve)) })(), 2000, 'the closed subscription to end')
  const closing = app.close()
  const final = messageOf(await staying.sse.next())
  assert.deepEqual(final, {
    jsonrpc: '2.0',
    id: 'stay',
    result: { resultType: 'complete', _meta: { [SUBSCRIPTION]: 'stay', 'io.modelcontextprotocol/serverInfo': { name: 'mcp-fastify', version: '0.0.0' } } }
  })
  await staying.sse.ended()
  await closing
})

test('nothing honoured: the acknowledgement, then the final result at once; a malformed filter is -32602', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare: (mcp) => mcp.resource({ uri: 'notes://1', name: 'n', read: (uri) => ({ contents: [{ uri, text: '' }] }) }) })
  const url = `${await listen(app)}/mcp`
  const stream = await openListen(agent, url, 1, { toolsListChanged: true })
  assert.deepEqual(messageOf(await stream.sse.next()).params.notifications, {})
  assert.equal(messageOf(await stream.sse.next()).result.resultType, 'complete')
  await stream.sse.ended()
  for (const notifications of [{ toolsListChanged: 'yes' }, { resourceSubscriptions: 'notes://1' }, undefined]) {
    const response = await modernPost(app, modernRequest(2, 'subscriptions/listen', notifications === undefined ? {} : { notifications }))
    assert.equal(response.statusCode, 200)
    assert.equal(JSON.parse(response.body).error.code, -32602)
  }
  assert.equal(app.mcp.subscriptions, 0)
})

test('listen needs an advertised capability: a server with nothing to change answers -32601 (404)', async (t) => {
  const app = await buildApp(t)
  const response = await modernPost(app, modernRequest(1, 'subscriptions/listen', { notifications: { toolsListChanged: true } }))
  assert.equal(response.statusCode, 404)
  assert.equal(JSON.parse(response.body).error.code, -32601)
})

test('a change on another node reaches this node\'s listen streams once, over the sessions\' bus', async (t) => {
  const agent = httpClient(t)
  const bus = new MemoryMessageBus()
  const nodeA = await buildApp(t, { declare, sessions: { bus } })
  const nodeB = await buildApp(t, { declare, sessions: { bus } })
  const url = `${await listen(nodeB)}/mcp`
  const stream = await openListen(agent, url, 'b', { toolsListChanged: true })
  await stream.sse.next()
  addTool(nodeA.mcp)
  assert.equal(messageOf(await stream.sse.next()).method, 'notifications/tools/list_changed')
  addTool(nodeB.mcp)
  assert.equal(messageOf(await stream.sse.next()).method, 'notifications/tools/list_changed', 'and its own changes too, once')
  await assert.rejects(stream.sse.next(300), /timed out|ended/, 'nothing twice')
})

test('2026-07-28: a closed response stream cancels the handler (its signal aborts); nothing more is sent', async (t) => {
  const agent = httpClient(t)
  let aborted: (reason: unknown) => void = () => {}
  const seen = new Promise((resolve) => { aborted = resolve })
  let started: () => void = () => {}
  const running = new Promise<void>((resolve) => { started = resolve })
  const app = await buildApp(t, {
    declare: (mcp) => mcp.tool({
      name: 'wait',
      description: 'Waits until cancelled',
      handler: async (_args, ctx) => {
        ctx.signal.addEventListener('abort', () => aborted(ctx.signal.reason), { once: true })
        await ctx.progress(1)
        started()
        await new Promise(() => {})
        return { content: [] }
      }
    })
  })
  const url = `${await listen(app)}/mcp`
  const body = modernRequest(1, 'tools/call', { name: 'wait', _meta: envelope({}, { progressToken: 'p' }) })
  const controller = new AbortController()
  const stream = await openStream(agent, url, { method: 'POST', body, headers: modernHeaders(body), signal: controller.signal })
  assert.equal(messageOf(await stream.sse.next()).method, 'notifications/progress')
  await running
  controller.abort()
  const reason = await withTimeout(seen, 2000, 'the handler\'s signal to abort') as Error
  assert.match(reason.message, /closed the request's stream/)
})
