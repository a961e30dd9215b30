import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { RedisSessionStore, type SessionRecord } from '../src/index.ts'
import { sessionRecord } from './helpers.ts'
import { redisOrSkip, sleep, waitFor } from './redis-helpers.ts'

/**
 * `touch` tells whether the record was there: `true`/`false`, or, as the store interface is
 * being changed to, what may have changed in the record (log level, subscriptions)/`undefined`.
 * These tests hold for both.
 */
function assertTouched (touched: unknown, message?: string): void {
  assert.ok(touched === true || (typeof touched === 'object' && touched !== null), message ?? `touched: ${JSON.stringify(touched)}`)
}

function assertNotTouched (touched: unknown, message?: string): void {
  assert.ok(touched === false || touched === undefined, message ?? `not touched: ${JSON.stringify(touched)}`)
}

const FULL: Omit<SessionRecord, 'id'> = {
  protocolVersion: '2025-06-18',
  clientCapabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} },
  clientInfo: { name: 'full-client', version: '2.3.4', title: 'Full "client" é' },
  logLevel: 'debug',
  subscriptions: ['file:///a', 'file:///b c'],
  principal: 'alice',
  createdAt: 1_700_000_000_123
}

const SPARSE: Omit<SessionRecord, 'id'> = {
  protocolVersion: '2025-03-26',
  clientCapabilities: {},
  clientInfo: undefined,
  logLevel: undefined,
  subscriptions: [],
  principal: undefined,
  createdAt: 1_700_000_000_456
}

test('RedisSessionStore: create then get round-trips every field, undefined ones included', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const store = new RedisSessionStore(fx.redis, fx.prefix)
  await store.create({ id: 'full', ...FULL }, 10_000)
  await store.create({ id: 'sparse', ...SPARSE }, 10_000)

  const full = await store.get('full')
  assert.deepStrictEqual(full, { id: 'full', ...FULL })
  const sparse = await store.get('sparse')
  assert.deepStrictEqual(sparse, { id: 'sparse', ...SPARSE })
  // deepStrictEqual treats a missing key and an undefined one alike: the keys must be there.
  assert.deepStrictEqual(Object.keys(sparse!).sort(), Object.keys({ id: 'sparse', ...SPARSE }).sort())
  assert.strictEqual(await store.get('unknown'), undefined)
  assert.strictEqual(await store.get(''), undefined)
})

test('RedisSessionStore: records are hashes under the prefix, with the ttl as their expiry', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const store = new RedisSessionStore(fx.redis, fx.prefix)
  await store.create(sessionRecord('s1'), 5000)
  const key = `${fx.prefix}s:s1`
  assert.strictEqual(await fx.redis.type(key), 'hash')
  const pttl = await fx.redis.pttl(key)
  assert.ok(pttl > 4000 && pttl <= 5000, `PTTL ${pttl} is about the ttl`)
  for (const written of await fx.keys()) assert.ok(written.startsWith(fx.prefix), written)
})

test('RedisSessionStore: stores with different prefixes do not see each other', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const one = new RedisSessionStore(fx.redis, `${fx.prefix}one:`)
  const two = new RedisSessionStore(fx.redis, `${fx.prefix}two:`)
  await one.create(sessionRecord('same', { principal: 'p' }), 10_000)
  assert.strictEqual(await two.get('same'), undefined)
  assert.strictEqual(await two.count(), 0)
  assert.strictEqual(await two.count('p'), 0)
  assertNotTouched(await two.touch('same', 10_000))
  assert.strictEqual(await two.delete('same'), false)
  assert.ok(await one.get('same'), 'the other prefix\'s delete left it alone')
  assert.strictEqual(await one.count(), 1)
})

test('RedisSessionStore: touch slides the expiry (PTTL), and says so when the record is missing', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const store = new RedisSessionStore(fx.redis, fx.prefix)
  const key = `${fx.prefix}s:s1`
  await store.create(sessionRecord('s1'), 1000)
  const before = await fx.redis.pttl(key)
  assert.ok(before > 0 && before <= 1000, `PTTL ${before}`)
  assertTouched(await store.touch('s1', 60_000))
  const after = await fx.redis.pttl(key)
  assert.ok(after > 59_000 && after <= 60_000, `PTTL ${after} after touch(60000)`)
  assertTouched(await store.touch('s1', 3000), 'a shorter ttl is applied too')
  const shorter = await fx.redis.pttl(key)
  assert.ok(shorter > 2000 && shorter <= 3000, `PTTL ${shorter} after touch(3000)`)

  const keysBefore = await fx.keys()
  assertNotTouched(await store.touch('missing', 60_000))
  assert.deepStrictEqual(await fx.keys(), keysBefore, 'touching a missing record writes nothing')
  assert.strictEqual(await fx.redis.zscore(`${fx.prefix}sessions`, 'missing'), null, 'nor indexes it')
  assert.strictEqual(await store.count(), 1)
})

test('RedisSessionStore: touch slides the index entries too, so a touched record still counts', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const store = new RedisSessionStore(fx.redis, fx.prefix)
  await store.create(sessionRecord('s1', { principal: 'alice' }), 200)
  assertTouched(await store.touch('s1', 10_000))
  await sleep(300) // past the first expiry
  assert.ok(await store.get('s1'), 'live past its first expiry')
  assert.strictEqual(await store.count(), 1)
  assert.strictEqual(await store.count('alice'), 1)
})

test('RedisSessionStore: a record expires ttlMs after its last touch; expired ones leave the counts', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const store = new RedisSessionStore(fx.redis, fx.prefix)
  await store.create(sessionRecord('short', { principal: 'bob' }), 200)
  await store.create(sessionRecord('long', { principal: 'bob' }), 60_000)
  await store.create(sessionRecord('other', { principal: 'carol' }), 200)
  assert.strictEqual(await store.count(), 3)
  assert.strictEqual(await store.count('bob'), 2)
  assert.strictEqual(await store.count('carol'), 1)

  await waitFor(async () => await store.get('short') === undefined, 2000, 'the short record to expire')
  assert.strictEqual(await store.get('other'), undefined)
  assert.ok(await store.get('long'))
  assertNotTouched(await store.touch('short', 60_000), 'an expired record cannot be touched back to life')
  assert.strictEqual(await store.get('short'), undefined)

  assert.strictEqual(await store.count(), 1)
  assert.strictEqual(await store.count('bob'), 1)
  assert.strictEqual(await store.count('carol'), 0)
  // Counting pruned the expired members from the indexes.
  assert.deepStrictEqual(await fx.redis.zrange(`${fx.prefix}sessions`, 0, -1), ['long'])
  assert.deepStrictEqual(await fx.redis.zrange(`${fx.prefix}p:bob`, 0, -1), ['long'])
  assert.strictEqual(await fx.redis.zcard(`${fx.prefix}p:carol`), 0)
})

test('RedisSessionStore: update changes logLevel and subscriptions, nothing else, and keeps the expiry', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const store = new RedisSessionStore(fx.redis, fx.prefix)
  await store.create({ id: 's1', ...SPARSE }, 30_000)
  await store.update('s1', { logLevel: 'warning' })
  assert.deepStrictEqual(await store.get('s1'), { id: 's1', ...SPARSE, logLevel: 'warning' })
  await store.update('s1', { subscriptions: ['file:///a', 'file:///b'] })
  assert.deepStrictEqual(await store.get('s1'), { id: 's1', ...SPARSE, logLevel: 'warning', subscriptions: ['file:///a', 'file:///b'] })
  await store.update('s1', { logLevel: 'emergency', subscriptions: [] })
  assert.deepStrictEqual(await store.get('s1'), { id: 's1', ...SPARSE, logLevel: 'emergency', subscriptions: [] })
  await store.update('s1', {})
  assert.deepStrictEqual(await store.get('s1'), { id: 's1', ...SPARSE, logLevel: 'emergency', subscriptions: [] })
  const pttl = await fx.redis.pttl(`${fx.prefix}s:s1`)
  assert.ok(pttl > 25_000 && pttl <= 30_000, `PTTL ${pttl}: update keeps the record's expiry`)
  await store.update('s1', { subscriptions: ['file:///c'] })
  const touched = await store.touch('s1', 30_000)
  assertTouched(touched)
  // Where touch returns what may have changed, it is what update stored.
  if (typeof touched === 'object') assert.deepStrictEqual(touched, { logLevel: 'emergency', subscriptions: ['file:///c'] })
})

test('RedisSessionStore: update of a missing or expired record creates nothing', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const store = new RedisSessionStore(fx.redis, fx.prefix)
  await store.update('missing', { logLevel: 'debug', subscriptions: ['file:///a'] })
  assert.strictEqual(await store.get('missing'), undefined)
  assert.deepStrictEqual(await fx.keys(), [], 'nothing written')

  await store.create(sessionRecord('brief'), 100)
  await waitFor(async () => await store.get('brief') === undefined, 2000, 'the record to expire')
  await store.update('brief', { logLevel: 'debug' })
  assert.strictEqual(await fx.redis.exists(`${fx.prefix}s:brief`), 0, 'an expired record is not revived')
  assert.strictEqual(await store.get('brief'), undefined)
})

test('RedisSessionStore: delete is true then false, removes the record and its index entries', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const store = new RedisSessionStore(fx.redis, fx.prefix)
  await store.create(sessionRecord('s1', { principal: 'alice' }), 10_000)
  await store.create(sessionRecord('s2', { principal: 'alice' }), 10_000)
  await store.create(sessionRecord('s3'), 10_000)
  assert.strictEqual(await store.count(), 3)
  assert.strictEqual(await store.count('alice'), 2)

  assert.strictEqual(await store.delete('s1'), true)
  assert.strictEqual(await store.get('s1'), undefined)
  assert.strictEqual(await fx.redis.zscore(`${fx.prefix}sessions`, 's1'), null)
  assert.strictEqual(await fx.redis.zscore(`${fx.prefix}p:alice`, 's1'), null)
  assert.strictEqual(await store.count(), 2)
  assert.strictEqual(await store.count('alice'), 1)
  assert.strictEqual(await store.delete('s1'), false)
  assert.strictEqual(await store.delete('never'), false)

  assert.strictEqual(await store.delete('s3'), true, 'one without a principal')
  assert.strictEqual(await fx.redis.zscore(`${fx.prefix}sessions`, 's3'), null)
  assert.ok(await store.get('s2'), 'others untouched')
  assert.strictEqual(await store.count(), 1)
})

test('RedisSessionStore: count, overall and per principal', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const store = new RedisSessionStore(fx.redis, fx.prefix)
  assert.strictEqual(await store.count(), 0)
  assert.strictEqual(await store.count('alice'), 0)
  for (const [id, principal] of [['a1', 'alice'], ['a2', 'alice'], ['b1', 'bob'], ['n1', undefined], ['n2', undefined]] as const) {
    await store.create(sessionRecord(id, { principal }), 10_000)
  }
  assert.strictEqual(await store.count(), 5)
  assert.strictEqual(await store.count('alice'), 2)
  assert.strictEqual(await store.count('bob'), 1)
  assert.strictEqual(await store.count('nobody'), 0)
})

test('RedisSessionStore: ping resolves while Redis answers, rejects when it cannot', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  await new RedisSessionStore(fx.redis, fx.prefix).ping()
  const gone = new Redis(fx.url, { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null })
  gone.on('error', () => {})
  t.after(() => gone.disconnect())
  await assert.rejects(new RedisSessionStore(gone, fx.prefix).ping())
})
