// Regression: mcp-session duplicates the app's ioredis client, options and all; a client made
// with `lazyConnect: true` (common: connect on first use) gave a duplicate that never connected
// (no command was ever sent to make it, and commands are not queued while offline), so boot
// waited out redisConnectTimeoutMs and failed with FST_MCP_SESSION_REDIS_UNREACHABLE though Redis
// was there. The duplicates now connect at once.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import mcpSession from '@mcp-fastify/mcp-session'
import { NEW_SESSION } from '../../packages/mcp-session/test/helpers.ts'
import { redisOrSkip } from '../../packages/mcp-session/test/redis-helpers.ts'

test('an app client made with lazyConnect serves as the redis option', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const lazy = new Redis(fx.url, { lazyConnect: true })
  lazy.on('error', () => {})
  fx.defer(() => lazy.disconnect())
  const app = Fastify()
  fx.defer(() => app.close())
  await app.register(mcpSession, { redis: lazy, keyPrefix: fx.prefix, redisConnectTimeoutMs: 2000 })
  await app.ready()
  const session = await app.mcpSessions.create(NEW_SESSION)
  assert.ok(await app.mcpSessions.store.get(session.id))
  assert.strictEqual(lazy.status, 'wait', 'the app\'s client is left as it was')
})
