// Regression: one malformed message on the Redis bus ended every node (a `JSON.parse` with no
// guard inside ioredis's `message` emit), and garbage in a session key broke requests for it.
// Now every bus message and every value read back from Redis is decoded through a schema; what
// does not fit is logged, counted on `mcp-fastify:session:dropped`, and dropped.
import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test } from 'node:test'
import type { DroppedEvent } from '@mcp-fastify/mcp-session'
import { assertServes, buildApp, initialize, post, rpc } from '../../packages/mcp-transport/test/helpers.ts'
import { redisOrSkip, sleep, waitFor } from '../../packages/mcp-session/test/redis-helpers.ts'

function collectDropped (t: { after: (fn: () => void) => void }): DroppedEvent[] {
  const dropped: DroppedEvent[] = []
  const listener = (event: unknown): void => { dropped.push(event as DroppedEvent) }
  subscribe('mcp-fastify:session:dropped', listener)
  t.after(() => unsubscribe('mcp-fastify:session:dropped', listener))
  return dropped
}

test('garbage on every bus channel is dropped and reported; the node keeps serving', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const dropped = collectDropped(t)
  const app = await buildApp(t, { sessions: { redis: fx.url, keyPrefix: fx.prefix } })
  const { sessionId, headers } = await initialize(app)
  // A GET stream listens on its topic; a probe or an event for it could arrive there too.
  const publisher = await fx.connection()
  const garbage = ['not json', '{"type":"notify"}', '{"type":"ended","node":"x","sessionId":42}', 'null', '[]', '{"takeover":1}']
  for (const payload of garbage) {
    await publisher.publish(`${fx.prefix}mcp:nodes`, payload)
    await publisher.publish(`${fx.prefix}mcp:stream:${sessionId}:get`, payload)
  }
  await waitFor(() => dropped.filter((event) => event.what === 'node message').length >= garbage.length, 2000, 'the node messages reported')
  await sleep(50)
  assert.ok(dropped.every((event) => event.source === 'bus' && event.reason.length > 0))
  assert.deepStrictEqual(dropped.find((event) => event.what === 'node message')?.reason, 'not JSON')
  // The session and the node are untouched.
  const response = await post(app, rpc(1, 'tools/list'), headers)
  assert.strictEqual(response.statusCode, 200)
  await assertServes(app, headers)
})

test('garbage in a session key reads as no session (404), reported, without a crash', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const dropped = collectDropped(t)
  const app = await buildApp(t, { sessions: { redis: fx.url, keyPrefix: fx.prefix } })
  const broken = [
    { v: '2025-11-25', c: 'not json', u: '[]', t: '1' },
    { v: '1999-01-01', c: '{}', u: '[]', t: '1' },
    { v: '2025-11-25', c: '{}', u: '{"a":1}', t: '1' },
    { v: '2025-11-25', c: '{}', u: '[]', t: 'yesterday' },
    { v: '2025-11-25', c: '{"sampling":5}', u: '[]', t: '1' }
  ]
  for (const [i, fields] of broken.entries()) {
    await fx.redis.hset(`${fx.prefix}s:{broken-${i}}`, fields)
    const response = await post(app, rpc(1, 'tools/list'), { 'mcp-session-id': `broken-${i}`, 'mcp-protocol-version': '2025-11-25' })
    assert.strictEqual(response.statusCode, 404, `broken record ${i}: ${response.body}`)
  }
  assert.strictEqual(dropped.filter((event) => event.source === 'redis' && event.what === 'session record').length, broken.length)
  const { headers } = await initialize(app)
  await assertServes(app, headers)
})
