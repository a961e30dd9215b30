import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemorySessionStore } from '@mcp-fastify/mcp-session'
import Fastify from 'fastify'
import mcpMetrics from '../src/index.ts'
import { buildApp, callTool, declareTools, deferred, initialize, post, scrape } from './helpers.ts'

/** A memory store whose `ping()` the test decides: what a Redis store does when Redis is down. */
class FlakyStore extends MemorySessionStore {
  override ping: () => Promise<void> = async () => {}
}

test('/health answers 200 while the process runs', async (t) => {
  const app = await buildApp(t)
  const response = await app.inject({ method: 'GET', url: '/health' })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { status: 'ok' })
})

test('/ready reports the session store: 200 while it answers, 503 when it does not, with no detail of why (the log has it)', async (t) => {
  const store = new FlakyStore()
  const app = await buildApp(t, { sessions: { store } })
  let response = await app.inject({ method: 'GET', url: '/ready' })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { status: 'ok', checks: { sessionStore: { ok: true } } })

  store.ping = async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:6379') }
  response = await app.inject({ method: 'GET', url: '/ready' })
  assert.equal(response.statusCode, 503)
  assert.deepEqual(response.json(), {
    status: 'unavailable', checks: { sessionStore: { ok: false, reason: 'the check failed (the log says why)' } }
  })
  assert.doesNotMatch(response.body, /6379|ECONNREFUSED/)
  // Liveness does not depend on the store.
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
})

test('/ready: a store that does not answer within readyTimeoutMs has failed (mock timers)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const store = new FlakyStore()
  const app = await buildApp(t, { sessions: { store }, metrics: { readyTimeoutMs: 500 } })
  const pinged = deferred()
  store.ping = () => {
    pinged.resolve()
    return new Promise(() => {})
  }
  let settled = false
  const answer = app.inject({ method: 'GET', url: '/ready' }).finally(() => { settled = true })
  await pinged.promise
  t.mock.timers.tick(499)
  await new Promise(setImmediate)
  assert.equal(settled, false, 'still waiting for the store at 499 ms')
  t.mock.timers.tick(1)
  const response = await answer
  assert.equal(response.statusCode, 503)
  assert.deepEqual(response.json().checks.sessionStore, { ok: false, reason: 'no answer within 500 ms' })
})

test('/ready without mcp-session: only the app\'s checks; readyChecks that fail make it 503', async (t) => {
  let dbUp = true
  const app = Fastify()
  t.after(() => app.close())
  await app.register(mcpMetrics, {
    readyChecks: {
      database: async () => { if (!dbUp) throw new Error('database down') },
      cache: () => Promise.resolve('PONG')
    }
  })
  let response = await app.inject({ method: 'GET', url: '/ready' })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { status: 'ok', checks: { database: { ok: true }, cache: { ok: true } } })

  dbUp = false
  response = await app.inject({ method: 'GET', url: '/ready' })
  assert.equal(response.statusCode, 503)
  assert.deepEqual(response.json().checks.database, { ok: false, reason: 'the check failed (the log says why)' })
})

test('/ready is 503 from the moment the app starts closing', async (t) => {
  const app = Fastify()
  const during = deferred<unknown>()
  await app.register(mcpMetrics)
  // Registered after mcp-metrics: its preClose hook runs after mcp-metrics'.
  app.addHook('preClose', async () => { during.resolve(await app.mcpMetrics.readiness()) })
  await app.ready()
  assert.equal((await app.mcpMetrics.readiness()).status, 'ok')
  await app.close()
  assert.deepEqual(await during.promise, {
    status: 'unavailable', checks: { closing: { ok: false, reason: 'the server is shutting down' } }
  })
})

test('healthPath and readyPath are configurable, and false serves none', async (t) => {
  const app = await buildApp(t, { metrics: { healthPath: '/livez', readyPath: false } })
  assert.equal((await app.inject({ method: 'GET', url: '/livez' })).statusCode, 200)
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 404)
  assert.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 404)
})

test('load shedding (opt-in): under pressure, new MCP work gets 503 + Retry-After; the rest goes on', async (t) => {
  // under-pressure samples on a timer: mocked, so the test decides when the pressure is seen.
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const app = await buildApp(t, {
    metrics: { loadShedding: { maxEventLoopDelay: 0, maxHeapUsedBytes: 1, retryAfter: 7, sampleInterval: 1000 } },
    declare: declareTools,
    before: (app) => { app.get('/app-route', async () => ({ ok: true })) }
  })
  const { headers } = await initialize(app)
  assert.equal((await post(app, callTool(1, 'echo'), headers)).statusCode, 200, 'no sample yet: not under pressure')

  t.mock.timers.tick(1000) // the first sample: the heap is over 1 byte
  const refused = await post(app, callTool(2, 'echo'), headers)
  assert.equal(refused.statusCode, 503)
  assert.equal(refused.headers['retry-after'], '7')
  assert.deepEqual(refused.json(), {
    jsonrpc: '2.0', id: 2, error: { code: -32000, message: 'Service Unavailable: the server is under pressure, try again later' }
  })
  // What finishes work already begun still goes through: a cancellation, the end of a session.
  const cancel = await post(app, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } }, headers)
  assert.equal(cancel.statusCode, 202)
  // The app's own routes and the observability routes are not shed.
  assert.equal((await app.inject({ method: 'GET', url: '/app-route' })).statusCode, 200)
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  assert.equal(ready.statusCode, 503)
  assert.deepEqual(ready.json().checks.pressure, { ok: false, reason: 'under pressure: new MCP work is refused' })
  const metrics = await scrape(app)
  assert.equal(metrics.value('mcp_server_http_refused_total', {
    http_response_status_code: '503', error_type: 'FST_MCP_METRICS_UNDER_PRESSURE', http_request_method: 'POST'
  }), 1)
  assert.equal(metrics.value('mcp_server_operation_duration_seconds_count', { mcp_method_name: 'tools/call', gen_ai_tool_name: 'echo' }), 1)
  assert.equal((await app.inject({ method: 'DELETE', url: '/mcp', headers })).statusCode, 204)
})

test('without loadShedding, nothing is shed', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app)
  assert.equal((await post(app, callTool(1, 'echo'), headers)).statusCode, 200)
  assert.equal(app.hasDecorator('isUnderPressure'), false, 'under-pressure is not even registered')
  assert.deepEqual((await app.inject({ method: 'GET', url: '/ready' })).json().checks.pressure, undefined)
})
