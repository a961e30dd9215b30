import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import {
  buildApp, callTool, httpClient, initialize, listen, messageOf, openStream, post, seqOf, withTimeout
} from './helpers.ts'

/** `ask` asks the client's model (`sampling/createMessage`) and returns what it said. */
function declare (mcp: McpServer): void {
  mcp.tool({
    name: 'ask',
    async handler (_args, ctx) {
      const answer = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi?' } }], maxTokens: 10 })
      return { content: [answer.content as { type: 'text', text: string }] }
    }
  })
}

const SAMPLED = { role: 'assistant', content: { type: 'text', text: 'hello' }, model: 'test-model' }

test('a server request on the POST stream: the client answers with a POST (202), the result follows', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app, '2025-11-25', { sampling: {} })
  const answer = await openStream(agent, url, { method: 'POST', headers, body: callTool(1, 'ask') })
  assert.equal(answer.statusCode, 200)
  assert.equal(answer.headers['content-type'], 'text/event-stream')
  assert.equal(seqOf((await answer.sse.next()).id), 0)
  const request = messageOf(await answer.sse.next())
  assert.equal(request.method, 'sampling/createMessage')
  assert.equal(typeof request.id, 'string')

  const reply = await post(app, { jsonrpc: '2.0', id: request.id, result: SAMPLED }, headers)
  assert.equal(reply.statusCode, 202)
  assert.equal(reply.body, '')
  const rest = await answer.sse.rest()
  assert.equal(rest.length, 1)
  assert.deepEqual(messageOf(rest[0]), { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hello' }] } })
})

test('a server request the client refuses: the tool call ends with the client\'s error', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app, '2025-11-25', { sampling: {} })
  const answer = await openStream(agent, url, { method: 'POST', headers, body: callTool(1, 'ask') })
  await answer.sse.next()
  const request = messageOf(await answer.sse.next())
  const reply = await post(app, { jsonrpc: '2.0', id: request.id, error: { code: -1, message: 'User rejected sampling request' } }, headers)
  assert.equal(reply.statusCode, 202)
  const rest = await answer.sse.rest()
  assert.deepEqual(messageOf(rest[0]), { jsonrpc: '2.0', id: 1, error: { code: -1, message: 'User rejected sampling request' } })
})

test('stateless: server requests work on the POST stream', async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { sessions: false, declare })
  const url = `${await listen(app)}/mcp`
  const headers = { 'mcp-protocol-version': '2025-11-25' }
  const answer = await openStream(agent, url, { method: 'POST', headers, body: callTool(1, 'ask') })
  assert.equal(answer.statusCode, 200)
  const request = messageOf(await answer.sse.next())
  assert.equal(request.method, 'sampling/createMessage')
  const reply = await post(app, { jsonrpc: '2.0', id: request.id, result: SAMPLED }, headers)
  assert.equal(reply.statusCode, 202)
  const rest = await answer.sse.rest()
  assert.deepEqual(messageOf(rest[0]), { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hello' }] } })
})

test("responseMode 'json': the server request goes to the GET stream, the result comes as JSON", async (t) => {
  const agent = httpClient(t)
  const app = await buildApp(t, { declare, transport: { responseMode: 'json' } })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app, '2025-11-25', { sampling: {} })
  const get = await openStream(agent, url, { headers })
  await get.sse.next()
  const pending = post(app, callTool(1, 'ask'), headers)
  const request = messageOf(await get.sse.next())
  assert.equal(request.method, 'sampling/createMessage')
  const reply = await post(app, { jsonrpc: '2.0', id: request.id, result: SAMPLED }, headers)
  assert.equal(reply.statusCode, 202)
  const answer = await withTimeout(pending, 2000, 'the POST answer')
  assert.equal(answer.statusCode, 200)
  assert.match(String(answer.headers['content-type']), /^application\/json/)
  assert.deepEqual(JSON.parse(answer.body), { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hello' }] } })
})
