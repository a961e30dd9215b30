// Regression: a DELETE carrying `Content-Type: application/json` and an empty body (some HTTP
// clients add the header to every request) was answered 400 "Parse error: the body is empty"
// instead of ending the session with 204.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertRpcError, buildApp, initialize, post, rpc } from '../../packages/mcp-transport/test/helpers.ts'

test('DELETE with Content-Type: application/json and an empty body ends the session: 204', async (t) => {
  const app = await buildApp(t)
  const { headers } = await initialize(app)
  const deleted = await app.inject({ method: 'DELETE', url: '/mcp', headers: { ...headers, 'content-type': 'application/json' }, payload: '' })
  assert.equal(deleted.statusCode, 204)
  assertRpcError(await post(app, rpc(1, 'ping'), headers), { status: 404, code: -32001, message: 'Session not found', id: 1 })
  // A POST with an empty JSON body is still a parse error.
  const empty = await app.inject({ method: 'POST', url: '/mcp', headers: { 'content-type': 'application/json', accept: 'application/json' }, payload: '' })
  assertRpcError(empty, { status: 400, code: -32700, message: 'Parse error: the body is empty' })
})
