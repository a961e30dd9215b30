// Regression: each principal's sessions were indexed in a sorted set of its own (p:<principal>)
// that never expired and was pruned only when that principal created a session again: every
// principal ever seen left a key in Redis forever. Now the caps' index holds principals as fields
// pruned with their sessions, and its keys expire with their last session: a principal whose
// sessions ended leaves nothing.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RedisSessionStore } from '@mcp-fastify/mcp-session'
import { sessionRecord } from '../../packages/mcp-session/test/helpers.ts'
import { redisOrSkip, waitFor } from '../../packages/mcp-session/test/redis-helpers.ts'

test('a principal whose sessions all ended leaves nothing in Redis', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const store = new RedisSessionStore(fx.redis, fx.prefix)
  await store.create(sessionRecord('a1', { principal: 'alice-the-departed' }), 200)
  await store.create(sessionRecord('b1', { principal: 'bob' }), 60_000)
  await waitFor(async () => await store.get('a1') === undefined && await store.count() === 1, 2000, 'alice\'s session to expire')

  const alice = async (): Promise<string[]> => {
    const left: string[] = []
    for (const key of await fx.keys()) {
      const type = await fx.redis.type(key)
      const content = type === 'hash'
        ? JSON.stringify(await fx.redis.hgetall(key))
        : type === 'zset' ? JSON.stringify(await fx.redis.zrange(key, 0, -1)) : ''
      if (key.includes('alice') || content.includes('alice') || content.includes('a1')) left.push(key)
    }
    return left
  }
  await waitFor(async () => (await alice()).length === 0, 3000, 'nothing of alice to be left').catch(() => {})
  assert.deepStrictEqual(await alice(), [], 'no key names alice or holds her session')
})
