import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import {
  assertRpcError, assertServes, buildApp, callTool, deferred, httpClient, initialize, listen, messageOf, openStream,
  parseSse, post, seqOf, streamOf, withTimeout, type Deferred, type SseEvent
} from './helpers.ts'

/**
 * Tools whose pace the test controls. `slow` sends two progress notifications, then waits for
 * `gate`; `poll` sends one, closes its connection (`ctx.closeStream`), then waits for `gate`.
 * `connectionClosed` resolves when the server sees the connection of the last call close.
 */
function controlledTools (): {
  declare: (mcp: McpServer) => void, gate: Deferred<void>, flooded: Deferred<number>, connectionClosed: () => Promise<void>
} {
  const gate = deferred()
  const flooded = deferred<number>()
  let closed: Promise<unknown> | undefined
  const watch = (socket: Socket): void => { closed = once(socket, 'close') }
  const declare = (mcp: McpServer): void => {
    mcp.tool({
      name: 'slow',
      async handler (_args, ctx) {
        watch(ctx.extra.request.raw.socket)
        await ctx.progress(1, 3)
        await ctx.progress(2, 3)
        await gate.promise
        return { content: [{ type: 'text', text: 'slow done' }] }
      }
    })
    mcp.tool({
      name: 'poll',
      inputSchema: Type.Object({ retry: Type.Optional(Type.Integer({ minimum: 0 })) }),
      async handler ({ retry }, ctx) {
        watch(ctx.extra.request.raw.socket)
        await ctx.progress(1)
        ctx.closeStream(retry)
        await gate.promise
        return { content: [{ type: 'text', text: 'poll done' }] }
      }
    })
    mcp.tool({
      // Logs 16 KiB messages until the server drops the connection (when the client does not read),
      // then three more; `flooded` resolves with how many it sent.
      name: 'flood',
      async handler (_args, ctx) {
        const socket = ctx.extra.request.raw.socket
        watch(socket)
        const chunk = 'x'.repeat(16 * 1024)
        let sent = 0
        while (!socket.destroyed && sent < 3000) {
          await ctx.log('info', { n: ++sent, chunk })
          await new Promise(setImmediate) // one message per turn of the event loop
        }
        for (let i = 0; i < 3; i++) await ctx.log('info', { n: ++sent, chunk })
        flooded.resolve(sent)
        return { content: [{ type: 'text', text: `sent ${sent}` }] }
      }
    })
    mcp.tool({
      name: 'big',
      async handler (_args, ctx) {
        await ctx.log('info', 'y'.repeat(4096))
        return { content: [{ type: 'text', text: 'big done' }] }
      }
    })
    mcp.tool({
      name: 'chatty',
      async handler (_args, ctx) {
        await ctx.progress(1)
        return { content: [{ type: 'text', text: 'chatty done' }] }
      }
    })
  }
  const connectionClosed = async (): Promise<void> => {
    assert.ok(closed !== undefined, 'the tool has not started')
    await withTimeout(closed, 2000, 'the server to see the connection close')
  }
  return { declare, gate, flooded, connectionClosed }
}

const SLOW_RESULT = { jsonrpc: '2.0', id: 'slow', result: { content: [{ type: 'text', text: 'slow done' }] } }

/** Starts `slow` over a real socket and reads its priming event and two progress events. */
async function startSlow (agent: import('undici').Agent, url: string, headers: Record<string, string>): Promise<{ abort: () => void, events: SseEvent[] }> {
  const controller = new AbortController()
  const answer = await openStream(agent, url, { method: 'POST', headers, body: callTool('slow', 'slow', {}, 'p'), signal: controller.signal })
  assert.equal(answer.statusCode, 200)
  assert.equal(answer.headers['content-type'], 'text/event-stream')
  const events = [await answer.sse.next(), await answer.sse.next(), await answer.sse.next()]
  assert.equal(events[0]!.data, '', 'priming event')
  assert.deepEqual(events.slice(1).map((event) => messageOf(event).params.progress), [1, 2])
  const stream = streamOf(events[0]!.id)
  assert.deepEqual(events.map((event) => event.id), [`${stream}.0`, `${stream}.1`, `${stream}.2`])
  return { abort: () => controller.abort(), events }
}

/** Another stream of the same session, with events of its own: a chatty POST and the GET stream. */
async function otherStreams (app: FastifyInstance, agent: import('undici').Agent, url: string, headers: Record<string, string>): Promise<void> {
  const chatty = await post(app, callTool('chatty', 'chatty', {}, 'c'), headers)
  assert.equal(parseSse(chatty.body).length, 3)
  const get = await openStream(agent, url, { headers })
  await get.sse.next()
  app.mcp.tool({ name: 'late', handler: () => ({ content: [] }) })
  assert.equal(messageOf(await get.sse.next()).method, 'notifications/tools/list_changed')
}

test('resume after a lost POST connection: GET with Last-Event-ID replays exactly what was missed, result included', async (t) => {
  const agent = httpClient(t)
  const tools = controlledTools()
  const app = await buildApp(t, { declare: tools.declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)

  const slow = await startSlow(agent, url, headers)
  slow.abort()
  await tools.connectionClosed()
  await otherStreams(app, agent, url, headers)
  tools.gate.resolve()

  const lastSeen = slow.events.at(-1)!.id!
  const resumed = await openStream(agent, url, { headers: { ...headers, 'last-event-id': lastSeen } })
  assert.equal(resumed.statusCode, 200)
  assert.equal(resumed.headers['content-type'], 'text/event-stream')
  const events = await resumed.sse.rest()
  assert.deepEqual(events.map((event) => event.id), [`${streamOf(lastSeen)}.3`], 'only the missed event, from this stream')
  assert.deepEqual(messageOf(events[0]), SLOW_RESULT)
  assert.equal(resumed.sse.leftover, '')
})

test('resume while the tool still runs: the missed events, then the rest live, then the end', async (t) => {
  const agent = httpClient(t)
  const tools = controlledTools()
  const app = await buildApp(t, { declare: tools.declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)

  const slow = await startSlow(agent, url, headers)
  slow.abort()
  await tools.connectionClosed()
  await otherStreams(app, agent, url, headers)

  // The client saw only the first progress event.
  const seen = slow.events[1]!.id!
  const resumed = await openStream(agent, url, { headers: { ...headers, 'last-event-id': seen } })
  assert.equal(resumed.statusCode, 200)
  const missed = await resumed.sse.next()
  assert.equal(missed.id, `${streamOf(seen)}.2`)
  assert.equal(messageOf(missed).params.progress, 2)
  assert.equal(resumed.sse.done, false, 'the stream goes on while the tool runs')
  tools.gate.resolve()
  const rest = await resumed.sse.rest()
  assert.deepEqual(rest.map((event) => event.id), [`${streamOf(seen)}.3`])
  assert.deepEqual(messageOf(rest[0]), SLOW_RESULT)
})

test('resume from the priming event id replays the whole stream', async (t) => {
  const agent = httpClient(t)
  const tools = controlledTools()
  const app = await buildApp(t, { declare: tools.declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const slow = await startSlow(agent, url, headers)
  slow.abort()
  await tools.connectionClosed()
  tools.gate.resolve()
  const priming = slow.events[0]!.id!
  const resumed = await openStream(agent, url, { headers: { ...headers, 'last-event-id': priming } })
  const events = await resumed.sse.rest()
  assert.deepEqual(events.map((event) => event.id), [1, 2, 3].map((n) => `${streamOf(priming)}.${n}`))
  assert.deepEqual(messageOf(events[2]), SLOW_RESULT)
})

test('ctx.closeStream(): the POST connection ends with a retry field; the result is then had by GET with Last-Event-ID', async (t) => {
  const agent = httpClient(t)
  const tools = controlledTools()
  const app = await buildApp(t, { declare: tools.declare, sessions: { retryMs: 250 } })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)

  const answer = await openStream(agent, url, { method: 'POST', headers, body: callTool(9, 'poll', {}, 'p') })
  assert.equal(answer.statusCode, 200)
  assert.equal(answer.headers['content-type'], 'text/event-stream')
  const priming = await answer.sse.next()
  assert.equal(priming.data, '')
  assert.equal(priming.retry, 250)
  const progress = await answer.sse.next()
  assert.equal(messageOf(progress).method, 'notifications/progress')
  // The connection ends while the tool still waits: the last thing sent is the retry hint.
  assert.deepEqual(await answer.sse.rest(), [{ data: '', retry: 250 }])
  assert.equal(answer.sse.error, undefined, 'ended by the server, cleanly')

  tools.gate.resolve()
  const resumed = await openStream(agent, url, { headers: { ...headers, 'last-event-id': progress.id! } })
  assert.equal(resumed.statusCode, 200)
  const events = await resumed.sse.rest()
  assert.deepEqual(events.map((event) => event.id), [`${streamOf(priming.id)}.${seqOf(progress.id) + 1}`])
  assert.deepEqual(messageOf(events[0]), { jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text: 'poll done' }] } })
})

test('ctx.closeStream(retryMs) sends that retry hint', async (t) => {
  const agent = httpClient(t)
  const tools = controlledTools()
  const app = await buildApp(t, { declare: tools.declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const answer = await openStream(agent, url, { method: 'POST', headers, body: callTool(9, 'poll', { retry: 5000 }) })
  assert.equal(answer.statusCode, 200)
  const events = await answer.sse.rest()
  assert.equal(events.length, 2, JSON.stringify(events))
  assert.equal(seqOf(events[0]!.id), 0)
  assert.deepEqual(events[1], { data: '', retry: 5000 })
  tools.gate.resolve()
})

test('ctx.closeStream() in a 2025-06-18 session is a no-op: the result comes on the POST', async (t) => {
  const tools = controlledTools()
  const app = await buildApp(t, { declare: tools.declare })
  const { headers } = await initialize(app, '2025-06-18')
  tools.gate.resolve()
  const response = await post(app, callTool(9, 'poll'), headers)
  assert.equal(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  assert.deepEqual(JSON.parse(response.body), { jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text: 'poll done' }] } })
})

test('the GET stream resumes too: events sent while disconnected, then live ones', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t)
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const serverSocket = new Promise<Socket>((resolve) => app.server.once('request', (request) => resolve(request.socket)))
  const get = await openStream(agent, url, { headers })
  const socket = await withTimeout(serverSocket, 2000, 'the GET on the server')
  await get.sse.next()
  app.mcp.tool({ name: 'one', handler: () => ({ content: [] }) })
  const seen = await get.sse.next()
  assert.equal(seqOf(seen.id), 1)
  const closed = once(socket, 'close')
  get.sse.close()
  await withTimeout(closed, 2000, 'the server to see the GET close')
  app.mcp.tool({ name: 'two', handler: () => ({ content: [] }) })

  const resumed = await openStream(agent, url, { headers: { ...headers, 'last-event-id': seen.id! } })
  assert.equal(resumed.statusCode, 200)
  const missed = await resumed.sse.next()
  assert.equal(missed.id, `${streamOf(seen.id)}.2`)
  assert.equal(messageOf(missed).method, 'notifications/tools/list_changed')
  app.mcp.tool({ name: 'three', handler: () => ({ content: [] }) })
  const live = await resumed.sse.next()
  assert.equal(live.id, `${streamOf(seen.id)}.3`)
  assert.equal(messageOf(live).method, 'notifications/tools/list_changed')
})

test('a malformed Last-Event-ID: 400', async (t) => {
  const app = await buildApp(t)
  const { headers } = await initialize(app)
  for (const lastEventId of ['garbage', 'abc.def', 'a b.1', 'x.1.2', '.1', `${'a'.repeat(65)}.1`]) {
    const response = await app.inject({ method: 'GET', url: '/mcp', headers: { ...headers, accept: 'text/event-stream', 'last-event-id': lastEventId } })
    assertRpcError(response, { status: 400, code: -32000, message: 'Bad Request: Last-Event-ID is not an event id of this server' })
  }
  await assertServes(app, headers)
})

test('Last-Event-ID of another session\'s stream replays nothing of it', async (t) => {
  const agent = httpClient(t)
  const tools = controlledTools()
  const app = await buildApp(t, { declare: tools.declare })
  const url = `${await listen(app)}/mcp`
  const a = await initialize(app)
  const b = await initialize(app)
  const chatty = parseSse((await post(app, callTool('c', 'chatty', {}, 'c'), a.headers)).body)
  const resumed = await openStream(agent, url, { headers: { ...b.headers, 'last-event-id': chatty[0]!.id! } })
  assert.equal(resumed.statusCode, 200)
  assert.deepEqual(await resumed.sse.rest(), [])
})

test('a client that stops reading is cut off past maxBufferedBytes, and resumes without loss', async (t) => {
  const agent = httpClient(t)
  const tools = controlledTools()
  const app = await buildApp(t, { declare: tools.declare, transport: { maxBufferedBytes: 64 * 1024 } })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const answer = await openStream(agent, url, { method: 'POST', headers, body: callTool('f', 'flood') })
  assert.equal(answer.statusCode, 200)
  answer.sse.pause()
  await tools.connectionClosed()
  const sent = await withTimeout(tools.flooded.promise, 5000, 'the tool to finish')
  assert.ok(sent < 3000, 'the server dropped the connection')

  answer.sse.resume()
  const received = (await answer.sse.rest(5000)).filter((event) => event.data !== '')
  assert.ok(received.length > 0 && received.length < sent, `received ${received.length} of ${sent}`)
  const stream = streamOf(received[0]!.id)
  const resumed = await openStream(agent, url, { headers: { ...headers, 'last-event-id': received.at(-1)!.id! } })
  assert.equal(resumed.statusCode, 200)
  const missed = await resumed.sse.rest(5000)
  const all = [...received, ...missed]
  assert.deepEqual(all.map((event) => event.id), Array.from({ length: sent + 1 }, (_, i) => `${stream}.${i + 1}`))
  assert.deepEqual(all.slice(0, -1).map((event) => messageOf(event).params.data.n), Array.from({ length: sent }, (_, i) => i + 1))
  assert.deepEqual(messageOf(all.at(-1)), { jsonrpc: '2.0', id: 'f', result: { content: [{ type: 'text', text: `sent ${sent}` }] } })
})

test('a client that reads is not cut off for an event larger than maxBufferedBytes', async (t) => {
  const agent = httpClient(t)
  const tools = controlledTools()
  const app = await buildApp(t, { declare: tools.declare, transport: { maxBufferedBytes: 1024 } })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const answer = await openStream(agent, url, { method: 'POST', headers, body: callTool('b', 'big') })
  assert.equal(answer.statusCode, 200)
  const events = await answer.sse.rest()
  assert.equal(answer.sse.error, undefined, 'the server ended the stream cleanly')
  assert.equal(events.length, 3, `priming, log, result: got ${events.length}`)
  assert.equal(messageOf(events[1]).params.data.length, 4096)
  assert.deepEqual(messageOf(events[2]), { jsonrpc: '2.0', id: 'b', result: { content: [{ type: 'text', text: 'big done' }] } })
})
