import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildApp, callTool, declareTools, initialize, post } from './helpers.ts'

test('notReady(): /ready answers 503 (closing) from then on, while the endpoint and /health serve as before', async (t) => {
  const app = await buildApp(t, { declare: declareTools })
  const { headers } = await initialize(app)
  assert.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200)

  app.mcpMetrics.notReady()
  for (let i = 0; i < 2; i++) {
    const ready = await app.inject({ method: 'GET', url: '/ready' })
    assert.equal(ready.statusCode, 503)
    assert.deepEqual(ready.json(), { status: 'unavailable', checks: { closing: { ok: false, reason: 'the server is shutting down' } } })
  }
  assert.deepEqual((await app.mcpMetrics.readiness()).status, 'unavailable')
  // Still serving: what the load balancer sent before it noticed is answered, not refused.
  const call = await post(app, callTool(1, 'echo', { still: 'served' }), headers)
  assert.equal(call.statusCode, 200)
  assert.deepEqual(call.json().result.content, [{ type: 'text', text: '{"still":"served"}' }])
  assert.equal((await initialize(app)).sessionId.length > 0, true, 'new sessions too')
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
})
