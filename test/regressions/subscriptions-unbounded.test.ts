// Regression: resources/subscribe had no bound: a client could subscribe a session to any number
// of URIs, each kept in the session's record (read back on every request with Redis) and checked
// on every resources/updated. Now a session holds maxSubscriptionsPerSession (100 by default);
// past it the request is answered with a JSON-RPC error -32602 that says so.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildApp, initialize, post, rpc } from '../../packages/mcp-transport/test/helpers.ts'

test('past maxSubscriptionsPerSession, resources/subscribe is refused with -32602', async (t) => {
  const app = await buildApp(t, {
    sessions: { maxSubscriptionsPerSession: 3 },
    declare (mcp) {
      mcp.resourceTemplate({ uriTemplate: 'notes://{id}', name: 'note', read: (uri) => ({ contents: [{ uri, text: 'a note' }] }) })
    }
  })
  const { headers } = await initialize(app)
  for (let i = 1; i <= 3; i++) {
    const answer = await post(app, rpc(i, 'resources/subscribe', { uri: `notes://${i}` }), headers)
    assert.deepStrictEqual(JSON.parse(answer.body), { jsonrpc: '2.0', id: i, result: {} })
  }
  const refused = JSON.parse((await post(app, rpc(4, 'resources/subscribe', { uri: 'notes://4' }), headers)).body)
  assert.strictEqual(refused.error?.code, -32602, JSON.stringify(refused))
  assert.match(refused.error.message, /at most/)
  const again = JSON.parse((await post(app, rpc(5, 'resources/subscribe', { uri: 'notes://2' }), headers)).body)
  assert.deepStrictEqual(again.result, {}, 'subscribing again to what it holds is no new subscription')
})

test('by default a session holds at most 100 subscriptions', async (t) => {
  const app = await buildApp(t, {
    declare (mcp) {
      mcp.resourceTemplate({ uriTemplate: 'notes://{id}', name: 'note', read: (uri) => ({ contents: [{ uri, text: 'a note' }] }) })
    }
  })
  const { headers } = await initialize(app)
  for (let i = 1; i <= 100; i++) {
    const answer = JSON.parse((await post(app, rpc(i, 'resources/subscribe', { uri: `notes://${i}` }), headers)).body)
    assert.deepStrictEqual(answer.result, {}, `subscription ${i}`)
  }
  const refused = JSON.parse((await post(app, rpc(101, 'resources/subscribe', { uri: 'notes://101' }), headers)).body)
  assert.strictEqual(refused.error?.code, -32602)
})
