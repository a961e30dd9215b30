import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CallToolResult } from '@mcp-fastify/mcp-protocol'
import { buildApp, callTool, deferred, httpClient, initialize, listen, openStream, send, withTimeout } from './helpers.ts'

test('shutdown: open streams end with a retry hint at once, a call in flight finishes and is answered, then the server closes', async (t) => {
  const agent = httpClient(t)
  const release = deferred()
  const started = deferred()
  const app = await buildApp(t, {
    sessions: { retryMs: 1500 },
    declare: (mcp) => mcp.tool({
      name: 'slow',
      handler: async () => {
        started.resolve()
        await release.promise
        return { content: [{ type: 'text', text: 'finished' }] }
      }
    })
  })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const get = await openStream(agent, url, { headers })
  await get.sse.next()
  const call = send(agent, url, { headers, body: callTool(1, 'slow') })
  await withTimeout(started.promise, 2000, 'the call to start')

  let closed = false
  const closing = app.close().then(() => { closed = true })
  // The GET stream ends now, telling the client when to come back.
  const [retry] = await get.sse.rest()
  assert.equal(retry?.retry, 1500)
  assert.equal(closed, false, 'the server waits for the call in flight')

  release.resolve()
  const answered = await withTimeout(call, 2000, 'the answer to the call in flight')
  assert.equal(answered.statusCode, 200)
  assert.equal(JSON.parse(answered.body).result.content[0].text, 'finished')
  await withTimeout(closing, 2000, 'app.close()')
})

test('shutdown: a call still running after drainTimeoutMs is cancelled, and the server closes anyway', async (t) => {
  const agent = httpClient(t)
  const started = deferred()
  const aborted = deferred()
  const app = await buildApp(t, {
    transport: { drainTimeoutMs: 50 },
    declare: (mcp) => mcp.tool({
      name: 'forever',
      handler: (_args, ctx) => new Promise<CallToolResult>((resolve) => {
        started.resolve()
        ctx.signal.addEventListener('abort', () => {
          aborted.resolve()
          resolve({ content: [{ type: 'text', text: 'too late' }] })
        })
      })
    })
  })
  const url = `${await listen(app)}/mcp`
  const { headers } = await initialize(app)
  const call = send(agent, url, { headers, body: callTool(1, 'forever') })
  await withTimeout(started.promise, 2000, 'the call to start')
  await withTimeout(app.close(), 2000, 'app.close() past the drain deadline')
  await withTimeout(aborted.promise, 100, 'the handler to see its signal aborted')
  // The server gave up on it: an error says why, so the client can retry elsewhere.
  const answered = await withTimeout(call, 2000, 'the end of the cancelled call')
  assert.equal(answered.statusCode, 200)
  assert.deepEqual(JSON.parse(answered.body), { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'Server shutting down' } })
})
