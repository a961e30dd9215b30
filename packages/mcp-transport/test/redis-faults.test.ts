import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import mcpSession, { type McpSessionOptions } from '@mcp-fastify/mcp-session'
import Fastify, { type FastifyInstance } from 'fastify'
import mcpTransport from '../src/index.ts'
import {
  closedPort, redisOrSkip, sleep, tcpProxy, waitFor, type RedisFixture
} from '../../mcp-session/test/redis-helpers.ts'
import { assertRpcError, assertServes, initialize, initializeBody, post, rpc, withTimeout } from './helpers.ts'

const STORE_UNAVAILABLE = { status: 503, code: -32000, message: /store/i }

/** How long a request may take while Redis is away: an answer, not a hang. */
const ANSWER_WITHIN_MS = 2000

/** An app with mcp-session on `redis` (under the test's prefix) and mcp-transport; closed when the test ends. */
async function buildApp (fx: RedisFixture, redis: string, options: McpSessionOptions = {}): Promise<FastifyInstance> {
  const app = Fastify()
  fx.defer(() => app.close())
  await app.register(mcpSession, { redis, keyPrefix: fx.prefix, ...options })
  await app.register(mcpTransport)
  await app.ready()
  return app
}

/** `app.ready()`, settled within `ms`. */
async function readyWithin (app: FastifyInstance, ms: number): Promise<void> {
  await withTimeout((async () => { await app.ready() })(), ms, 'ready() to settle')
}

/** Fails the test if a promise rejection goes unhandled (or an exception uncaught) while it runs. */
function tripwire (t: TestContext): { assertQuiet: () => void } {
  const caught: unknown[] = []
  const onRejection = (reason: unknown): void => { caught.push(reason) }
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onRejection)
  t.after(() => {
    process.off('unhandledRejection', onRejection)
    process.off('uncaughtException', onRejection)
  })
  return {
    assertQuiet () {
      assert.deepStrictEqual(caught.map(String), [], 'no unhandled rejection nor uncaught exception')
    }
  }
}

test('Redis cut: 503 with a JSON-RPC error at once, no crash; Redis back: the same session works again by itself', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const wire = tripwire(t)
  const proxy = await tcpProxy(t, fx.url)
  const app = await buildApp(fx, proxy.url)
  const { sessionId, headers } = await initialize(app)
  await assertServes(app, headers)
  assert.deepStrictEqual(await app.mcpSessions.health(), { ok: true })

  proxy.cut()
  await sleep(100) // Redis went away a moment ago (requests in flight at that moment: next test)
  let started = Date.now()
  const during = await withTimeout(post(app, rpc(1, 'ping'), headers), ANSWER_WITHIN_MS, 'an answer while Redis is cut')
  assertRpcError(during, STORE_UNAVAILABLE)
  assert.ok(Date.now() - started < ANSWER_WITHIN_MS)

  started = Date.now()
  const fresh = await withTimeout(post(app, initializeBody()), ANSWER_WITHIN_MS, 'an initialize while Redis is cut')
  assertRpcError(fresh, STORE_UNAVAILABLE)
  assert.strictEqual(fresh.headers['mcp-session-id'], undefined, 'no session handed out')

  const get = await withTimeout(app.inject({ method: 'GET', url: '/mcp', headers: { ...headers, accept: 'text/event-stream' } }),
    ANSWER_WITHIN_MS, 'a GET while Redis is cut')
  assertRpcError(get, STORE_UNAVAILABLE)
  const health = await withTimeout(app.mcpSessions.health(), ANSWER_WITHIN_MS, 'health while Redis is cut')
  assert.strictEqual(health.ok, false)
  // Still cut a while later (ioredis reconnecting in the background): still answered at once.
  await sleep(300)
  assertRpcError(await withTimeout(post(app, rpc(2, 'ping'), headers), ANSWER_WITHIN_MS, 'a later answer'), STORE_UNAVAILABLE)

  proxy.restore()
  await waitFor(async () => (await post(app, rpc('again', 'ping'), headers)).statusCode === 200, 6000,
    'the session to serve again once Redis is back', 100)
  await assertServes(app, headers)
  assert.deepStrictEqual(await app.mcpSessions.health(), { ok: true })
  assert.ok(await app.mcpSessions.store.get(sessionId), 'the session\'s record survived the outage')
  await assertServes(app, (await initialize(app)).headers)
  wire.assertQuiet()
})

// Requests whose commands were sent just before Redis went away: ioredis keeps such commands to
// resend them once it reconnects, whatever maxRetriesPerRequest and enableOfflineQueue say, so
// without a bound they wait for as long as Redis is away.
test('Redis cut while requests are in flight: each gets an answer in a bounded time, none hangs', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const wire = tripwire(t)
  const proxy = await tcpProxy(t, fx.url)
  const app = await buildApp(fx, proxy.url)
  const { headers } = await initialize(app)
  const pending = Array.from({ length: 20 }, (_, i) => post(app, rpc(i, 'ping'), headers))
  proxy.cut()
  const answers = await withTimeout(Promise.all(pending), ANSWER_WITHIN_MS, 'the requests in flight')
  for (const answer of answers) {
    if (answer.statusCode === 200) continue
    assertRpcError(answer, { ...STORE_UNAVAILABLE, id: undefined })
  }
  proxy.restore()
  await waitFor(async () => (await post(app, rpc('again', 'ping'), headers)).statusCode === 200, 6000, 'serving again', 100)
  wire.assertQuiet()
})

test('boot with nothing listening at the Redis URL: ready() rejects with FST_MCP_SESSION_REDIS_UNREACHABLE', async (t) => {
  const wire = tripwire(t)
  const url = `redis://127.0.0.1:${await closedPort()}`
  const app = Fastify()
  t.after(() => app.close())
  app.register(mcpSession, { redis: url, redisConnectTimeoutMs: 300, keyPrefix: 'never-used:' })
  app.register(mcpTransport)
  const started = Date.now()
  await assert.rejects(readyWithin(app, 3000), (error: Error & { code?: string }) => {
    assert.strictEqual(error.code, 'FST_MCP_SESSION_REDIS_UNREACHABLE', String(error))
    assert.match(error.message, /300 ms/)
    return true
  })
  assert.ok(Date.now() - started < 1500, `rejected after ${Date.now() - started} ms, not long after redisConnectTimeoutMs`)
  wire.assertQuiet()
})

test('boot failure leaves no connection retrying behind', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const proxy = await tcpProxy(t, fx.url)
  proxy.cut() // accepts TCP connections and drops them at once: a Redis that is not there
  const app = Fastify()
  fx.defer(() => app.close())
  app.register(mcpSession, { redis: proxy.url, redisConnectTimeoutMs: 300, keyPrefix: fx.prefix })
  await assert.rejects(readyWithin(app, 3000), { code: 'FST_MCP_SESSION_REDIS_UNREACHABLE' })
  assert.ok(proxy.accepted > 0, 'it did try')
  const attempts = proxy.accepted
  await sleep(500) // a client left behind would retry within 100..300 ms at this stage
  assert.strictEqual(proxy.accepted, attempts, 'no reconnection attempts after the boot failed')
})

// "Redis must answer at boot, within redisConnectTimeoutMs": a Redis that accepts connections
// but never answers (a frozen server, a half-open path) must fail the boot in that time too.
test('boot with a Redis that accepts connections but never answers: ready() rejects within redisConnectTimeoutMs', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const proxy = await tcpProxy(t, fx.url)
  proxy.stall()
  const app = Fastify()
  fx.defer(async () => {
    await proxy.close() // frees a boot still stuck, so the app can close
    await app.close()
  })
  app.register(mcpSession, { redis: proxy.url, redisConnectTimeoutMs: 300, keyPrefix: fx.prefix })
  const started = Date.now()
  await assert.rejects(readyWithin(app, 2000), (error: Error & { code?: string }) => {
    assert.strictEqual(error.code, 'FST_MCP_SESSION_REDIS_UNREACHABLE', String(error))
    return true
  })
  assert.ok(Date.now() - started < 1500, `rejected after ${Date.now() - started} ms`)
})

// The same promise once the app runs: Redis stops answering but the connections stay open (a
// partition, a Redis frozen by a long command or a slow fork). Requests must get their 503 in a
// bounded time rather than wait for TCP to notice, which can take many minutes.
test('Redis stops answering, connections open: a request gets 503 in a bounded time, and works when Redis answers again', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const wire = tripwire(t)
  const proxy = await tcpProxy(t, fx.url)
  const app = await buildApp(fx, proxy.url)
  fx.defer(() => proxy.close()) // runs before app.close (closers run last registered first)
  const { headers } = await initialize(app)
  proxy.stall()
  const during = await withTimeout(post(app, rpc(1, 'ping'), headers), ANSWER_WITHIN_MS, 'an answer while Redis does not answer')
    .catch((error: Error) => error)
  assert.ok(!(during instanceof Error), during instanceof Error ? during.message : '')
  assertRpcError(during, STORE_UNAVAILABLE)
  proxy.restore()
  await waitFor(async () => (await post(app, rpc('again', 'ping'), headers)).statusCode === 200, 6000, 'serving again', 100)
  wire.assertQuiet()
})
