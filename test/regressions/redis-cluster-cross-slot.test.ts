// Regression: on a Redis Cluster the store and the event log failed at once: a session's keys
// (record, event log, counters, dedupe key) and the indexes of the caps were in different slots,
// so the MULTI that created a record and the Lua scripts that touched and appended were refused
// (CROSSSLOT), and TOUCH and DELETE built a per-principal key from ARGV, which a cluster cannot
// route. Now a session's keys share its hash tag, the caps' index has a slot of its own, every key
// a script touches is in its KEYS, and `redis: { cluster: [...] }` selects a cluster. This test
// starts a three-master cluster of its own on free ports.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Cluster } from 'ioredis'
import { RedisEventLog, RedisSessionStore } from '@mcp-fastify/mcp-session'
import { notification, sessionRecord } from '../../packages/mcp-session/test/helpers.ts'
import { clusterUnavailable, startCluster, type TestCluster } from '../../packages/mcp-session/test/redis-cluster.ts'

let cluster: TestCluster | undefined
after(async () => { await cluster?.stop() })

test('the Redis store and event log work on a Redis Cluster', async (t) => {
  const missing = clusterUnavailable()
  if (missing !== undefined) {
    if (process.env.CI === 'true') throw new Error(`cannot start a Redis Cluster (${missing}); CI=true, so this test fails`)
    return t.skip(missing)
  }
  cluster = await startCluster()
  const redis = new Cluster(cluster.nodes)
  redis.on('error', () => {})
  t.after(() => redis.disconnect())
  const store = new RedisSessionStore(redis, 'regression:')
  const log = new RedisEventLog(redis, { maxEvents: 100, maxAgeMs: 60_000, prefix: 'regression:' })

  await store.create(sessionRecord('s1', { principal: 'alice' }), 60_000)
  assert.strictEqual((await store.get('s1'))?.principal, 'alice')
  assert.ok(await store.touch('s1', 60_000))
  assert.strictEqual(await store.count('alice'), 1)
  assert.strictEqual(await log.append('s1', 'get', notification(1)), 'get.1')
  assert.strictEqual(await log.append('s1', 'get', notification(2), { dedupe: 'k' }), 'get.2')
  assert.deepStrictEqual((await log.replay('s1', { streamId: 'get', seq: 0 }))?.map((event) => event.id), ['get.1', 'get.2'])
  assert.strictEqual(await store.delete('s1'), true)
  assert.strictEqual(await store.count(), 0)
})
