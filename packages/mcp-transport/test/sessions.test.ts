import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { McpServer } from '@mcp-fastify/mcp-protocol'
import {
  assertRpcError, assertServes, buildApp, callTool, deferred, initialize, parseSse, post, rpc, withTimeout, type Deferred
} from './helpers.ts'

const NOT_FOUND = { status: 404, code: -32001, message: 'Session not found' }

/** `wait` runs until its request is cancelled; `started` resolves once it runs, `aborted` with the reason. */
function waitingTool (): { declare: (mcp: McpServer) => void, started: Deferred<void>, aborted: Deferred<unknown> } {
  const started = deferred()
  const aborted = deferred<unknown>()
  const declare = (mcp: McpServer): void => {
    mcp.tool({
      name: 'wait',
      async handler (_args, ctx) {
        started.resolve()
        await new Promise<never>((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted.resolve(ctx.signal.reason)
            reject(ctx.signal.reason)
          }, { once: true })
        })
        return { content: [] }
      }
    })
    mcp.tool({
      name: 'logs',
      async handler (_args, ctx) {
        await ctx.log('info', 'info line')
        await ctx.log('error', 'error line')
        return { content: [] }
      }
    })
  }
  return { declare, started, aborted }
}

test('a session unused for ttlMs expires: 404 afterwards; each use slides its expiry', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const app = await buildApp(t, { sessions: { ttlMs: 1000 } })
  const { headers } = await initialize(app)
  t.mock.timers.tick(999)
  await assertServes(app, headers)
  t.mock.timers.tick(999)
  await assertServes(app, headers)
  t.mock.timers.tick(1001)
  assertRpcError(await post(app, rpc(1, 'ping'), headers), NOT_FOUND)
  assertRpcError(await app.inject({ method: 'GET', url: '/mcp', headers: { ...headers, accept: 'text/event-stream' } }), NOT_FOUND)
  assertRpcError(await app.inject({ method: 'DELETE', url: '/mcp', headers }), NOT_FOUND)
  // A new session can be had.
  await assertServes(app, (await initialize(app)).headers)
})

test('notifications/cancelled for a running request: 202, the handler is aborted, the POST gets no response (204)', async (t) => {
  const tool = waitingTool()
  const app = await buildApp(t, { declare: tool.declare })
  const { headers } = await initialize(app)
  const pending = post(app, callTool('w', 'wait'), headers)
  await withTimeout(tool.started.promise, 2000, 'the tool to start')
  const cancel = await post(app, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'w', reason: 'user stop' } }, headers)
  assert.equal(cancel.statusCode, 202)
  assert.equal(cancel.body, '')
  const reason = await withTimeout(tool.aborted.promise, 2000, 'the handler to be aborted')
  assert.equal((reason as Error).message, 'user stop')
  const answer = await withTimeout(pending, 2000, 'the POST answer')
  assert.equal(answer.statusCode, 204)
  assert.equal(answer.body, '')
  await assertServes(app, headers)
})

test('DELETE aborts what the session has in flight, and its calls are answered with an error', async (t) => {
  const tool = waitingTool()
  const app = await buildApp(t, { declare: tool.declare })
  const { headers } = await initialize(app)
  const pending = post(app, callTool('w', 'wait'), headers)
  await withTimeout(tool.started.promise, 2000, 'the tool to start')
  const deleted = await app.inject({ method: 'DELETE', url: '/mcp', headers })
  assert.equal(deleted.statusCode, 204)
  const reason = await withTimeout(tool.aborted.promise, 2000, 'the handler to be aborted')
  assert.equal((reason as Error).message, 'Session closed')
  // The server gave up on the call (the client did not cancel it): an error says why.
  const answer = await withTimeout(pending, 2000, 'the POST answer')
  assert.equal(answer.statusCode, 200)
  assert.deepEqual(JSON.parse(answer.body), { jsonrpc: '2.0', id: 'w', error: { code: -32000, message: 'Session closed' } })
  assertRpcError(await post(app, rpc(1, 'ping'), headers), NOT_FOUND)
})

test('a session keeps its state between requests (logging/setLevel)', async (t) => {
  const tool = waitingTool()
  const app = await buildApp(t, { declare: tool.declare })
  const { headers } = await initialize(app)
  const set = await post(app, rpc(1, 'logging/setLevel', { level: 'error' }), headers)
  assert.deepEqual(JSON.parse(set.body), { jsonrpc: '2.0', id: 1, result: {} })
  const answer = await post(app, callTool(2, 'logs'), headers)
  assert.equal(answer.statusCode, 200)
  const messages = parseSse(answer.body).filter((event) => event.data !== '').map((event) => JSON.parse(event.data))
  assert.deepEqual(messages.map((message) => message.params?.data ?? message.id), ['error line', 2])
  // Another session has its own level.
  const other = await initialize(app)
  const all = parseSse((await post(app, callTool(3, 'logs'), other.headers)).body).filter((event) => event.data !== '')
  assert.equal(all.length, 3)
})

test('session ids are unique across many sessions', async (t) => {
  const app = await buildApp(t)
  const ids = new Set<string>()
  for (let i = 0; i < 20; i++) ids.add((await initialize(app)).sessionId)
  assert.equal(ids.size, 20)
  for (const id of ids) assert.match(id, /^[\x21-\x7E]+$/)
})
