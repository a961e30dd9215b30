import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis, type Cluster } from 'ioredis'
import { RedisSessionStore, type SessionRecord } from '../src/index.ts'
import { sessionRecord } from './helpers.ts'
import type { RedisBackend } from './redis-backends.ts'
import { sleep, waitFor } from './redis-helpers.ts'

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

/** Index keys of the caps (one slot of their own), for a store with `prefix`. */
function indexKeys (prefix: string): { sessions: string, owners: string, counts: string } {
  return { sessions: `${prefix}{${prefix}index}:sessions`, owners: `${prefix}{${prefix}index}:owners`, counts: `${prefix}{${prefix}index}:counts` }
}

export function redisStoreSuite (backend: RedisBackend): void {
  const { name } = backend
  test(`RedisSessionStore on ${name}: create then get round-trips every field, undefined ones included`, async (t) => {
    const fx = await backend.fixture(t)
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

  test(`RedisSessionStore on ${name}: records are hashes under the prefix, with the ttl as their expiry`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    await store.create(sessionRecord('s1'), 5000)
    const key = `${fx.prefix}s:{s1}`
    assert.strictEqual(await fx.redis.type(key), 'hash')
    const pttl = await fx.redis.pttl(key)
    assert.ok(pttl > 4000 && pttl <= 5000, `PTTL ${pttl} is about the ttl`)
    for (const written of await fx.keys()) assert.ok(written.startsWith(fx.prefix), written)
  })

  test(`RedisSessionStore on ${name}: stores with different prefixes do not see each other`, async (t) => {
    const fx = await backend.fixture(t)
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

  test(`RedisSessionStore on ${name}: touch slides the expiry (PTTL), and says so when the record is missing`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    const key = `${fx.prefix}s:{s1}`
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
    assert.strictEqual(await fx.redis.zscore(indexKeys(fx.prefix).sessions, 'missing'), null, 'nor indexes it')
    assert.strictEqual(await store.count(), 1)
  })

  test(`RedisSessionStore on ${name}: touch slides the index entries too, so a touched record still counts`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    await store.create(sessionRecord('s1', { principal: 'alice' }), 200)
    assertTouched(await store.touch('s1', 10_000))
    await sleep(300) // past the first expiry
    assert.ok(await store.get('s1'), 'live past its first expiry')
    assert.strictEqual(await store.count(), 1)
    assert.strictEqual(await store.count('alice'), 1)
  })

  test(`RedisSessionStore on ${name}: a record expires ttlMs after its last touch; expired ones leave the counts`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    await store.create(sessionRecord('short', { principal: 'bob' }), 200)
    await store.create(sessionRecord('long', { principal: 'bob' }), 60_000)
    await store.create(sessionRecord('other', { principal: 'carol' }), 200)
    assert.strictEqual(await store.count(), 3)
    assert.strictEqual(await store.count('bob'), 2)
    assert.strictEqual(await store.count('carol'), 1)

    await waitFor(async () => await store.get('short') === undefined && await store.get('other') === undefined, 2000, 'the short records to expire')
    assert.ok(await store.get('long'))
    assertNotTouched(await store.touch('short', 60_000), 'an expired record cannot be touched back to life')
    assert.strictEqual(await store.get('short'), undefined)

    // The index entries outlive their records by a tenth of their ttl at most (20 ms here).
    await waitFor(async () => await store.count() === 1, 1000, 'the expired records to leave the count')
    assert.strictEqual(await store.count('bob'), 1)
    assert.strictEqual(await store.count('carol'), 0)
    // Counting pruned the expired members from the index: nothing is left of carol.
    const index = indexKeys(fx.prefix)
    assert.deepStrictEqual(await fx.redis.zrange(index.sessions, 0, -1), ['long'])
    assert.deepStrictEqual(await fx.redis.hgetall(index.owners), { long: 'bob' })
    assert.deepStrictEqual(await fx.redis.hgetall(index.counts), { bob: '1' })
  })

  test(`RedisSessionStore on ${name}: update changes logLevel and subscriptions, nothing else, and keeps the expiry`, async (t) => {
    const fx = await backend.fixture(t)
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
    const pttl = await fx.redis.pttl(`${fx.prefix}s:{s1}`)
    assert.ok(pttl > 25_000 && pttl <= 30_000, `PTTL ${pttl}: update keeps the record's expiry`)
    await store.update('s1', { subscriptions: ['file:///c'] })
    const touched = await store.touch('s1', 30_000)
    assertTouched(touched)
    // Where touch returns what may have changed, it is what update stored.
    if (typeof touched === 'object') assert.deepStrictEqual(touched, { logLevel: 'emergency', subscriptions: ['file:///c'] })
  })

  test(`RedisSessionStore on ${name}: update of a missing or expired record creates nothing`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    await store.update('missing', { logLevel: 'debug', subscriptions: ['file:///a'] })
    assert.strictEqual(await store.get('missing'), undefined)
    assert.deepStrictEqual(await fx.keys(), [], 'nothing written')

    await store.create(sessionRecord('brief'), 100)
    await waitFor(async () => await store.get('brief') === undefined, 2000, 'the record to expire')
    await store.update('brief', { logLevel: 'debug' })
    assert.strictEqual(await fx.redis.exists(`${fx.prefix}s:{brief}`), 0, 'an expired record is not revived')
    assert.strictEqual(await store.get('brief'), undefined)
  })

  test(`RedisSessionStore on ${name}: delete is true then false, removes the record and its index entries`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    await store.create(sessionRecord('s1', { principal: 'alice' }), 10_000)
    await store.create(sessionRecord('s2', { principal: 'alice' }), 10_000)
    await store.create(sessionRecord('s3'), 10_000)
    assert.strictEqual(await store.count(), 3)
    assert.strictEqual(await store.count('alice'), 2)

    assert.strictEqual(await store.delete('s1'), true)
    assert.strictEqual(await store.get('s1'), undefined)
    const index = indexKeys(fx.prefix)
    assert.strictEqual(await fx.redis.zscore(index.sessions, 's1'), null)
    assert.strictEqual(await fx.redis.hget(index.owners, 's1'), null)
    assert.strictEqual(await fx.redis.hget(index.counts, 'alice'), '1')
    assert.strictEqual(await store.count(), 2)
    assert.strictEqual(await store.count('alice'), 1)
    assert.strictEqual(await store.delete('s1'), false)
    assert.strictEqual(await store.delete('never'), false)

    assert.strictEqual(await store.delete('s3'), true, 'one without a principal')
    assert.strictEqual(await fx.redis.zscore(index.sessions, 's3'), null)
    assert.ok(await store.get('s2'), 'others untouched')
    assert.strictEqual(await store.count(), 1)
  })

  test(`RedisSessionStore on ${name}: count, overall and per principal`, async (t) => {
    const fx = await backend.fixture(t)
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

  test(`RedisSessionStore on ${name}: ping resolves while Redis answers, rejects when it cannot`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    await new RedisSessionStore(fx.redis, fx.prefix).ping()
    const gone = new Redis(fx.single?.url ?? `redis://127.0.0.1:${fx.cluster!.nodes[0]!.port}`, { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null })
    gone.on('error', () => {})
    t.after(() => gone.disconnect())
    await assert.rejects(new RedisSessionStore(gone, fx.prefix).ping())
  })

  test(`RedisSessionStore on ${name}: create enforces the caps atomically: concurrent creates from two nodes never pass one`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const nodes = [new RedisSessionStore(fx.redis, fx.prefix), new RedisSessionStore(await fx.connection(), fx.prefix)]
    const caps = { maxSessions: 5, maxSessionsPerPrincipal: 2 }
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      nodes[i % 2]!.create(sessionRecord(`s${i}`, { principal: i < 10 ? 'alice' : undefined }), 10_000, caps)))
    const alice = outcomes.slice(0, 10).filter((outcome) => outcome === 'created').length
    assert.ok(alice <= 2, `alice: ${outcomes.slice(0, 10).join(', ')}`)
    assert.strictEqual(outcomes.filter((outcome) => outcome === 'created').length, 5, outcomes.join(', '))
    assert.ok(outcomes.slice(10).every((outcome) => outcome === 'created' || outcome === 'session-limit'), 'no principal, no principal-limit')
    assert.strictEqual(await nodes[0]!.count(), 5)
    assert.strictEqual(await nodes[1]!.count('alice'), alice)
    const refused = outcomes.flatMap((outcome, i) => outcome === 'created' ? [] : [`s${i}`])
    for (const id of refused) assert.strictEqual(await nodes[0]!.get(id), undefined, `${id} was refused: nothing stored`)
  })

  test(`RedisSessionStore on ${name}: a record recreated under its id (recovery) replaces it and does not count twice`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    const caps = { maxSessions: 1, maxSessionsPerPrincipal: 1 }
    assert.strictEqual(await store.create(sessionRecord('s1', { principal: 'alice', clientInfo: { name: 'old', version: '1' } }), 10_000, caps), 'created')
    assert.strictEqual(await store.create(sessionRecord('s1', { principal: 'alice', clientInfo: undefined }), 10_000, caps), 'created')
    assert.strictEqual((await store.get('s1'))?.clientInfo, undefined, 'the old record\'s fields are gone')
    assert.strictEqual(await store.count(), 1)
    assert.strictEqual(await store.count('alice'), 1)
    assert.strictEqual(await store.create(sessionRecord('s2'), 10_000, caps), 'session-limit')
  })

  test(`RedisSessionStore on ${name}: the index keys expire with their last session; a principal whose sessions ended leaves nothing`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    const index = indexKeys(fx.prefix)
    await store.create(sessionRecord('a1', { principal: 'alice' }), 200, { maxSessions: 10 })
    for (const key of Object.values(index)) {
      const pttl = await fx.redis.pttl(key)
      assert.ok(pttl > 0 && pttl <= 220, `${key}: PTTL ${pttl} (the ttl, and a tenth of it)`)
    }
    await store.touch('a1', 1000)
    assert.ok(await fx.redis.pttl(index.counts) > 900, 'touching slides them')
    await store.create(sessionRecord('b1', { principal: 'bob' }), 100, { maxSessions: 10 })
    await waitFor(async () => (await fx.keys()).length === 0, 3000, 'every key to expire')
    assert.deepStrictEqual(await fx.keys(), [])
  })

  test(`RedisSessionStore on ${name}: a session id with braces (chosen by a client, recovery) keeps its keys in one slot`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    for (const id of ['a{b}c', '}x{', '{}', '']) {
      assert.strictEqual(await store.create(sessionRecord(id, { principal: 'p' }), 10_000, { maxSessions: 10 }), 'created', JSON.stringify(id))
      assert.strictEqual((await store.get(id))?.id, id)
      assert.ok(await store.touch(id, 10_000))
      await store.update(id, { logLevel: 'debug' })
      assert.strictEqual((await store.get(id))?.logLevel, 'debug')
      assert.strictEqual(await store.delete(id), true)
    }
    assert.strictEqual(await store.count(), 0)
  })

  test(`RedisSessionStore on ${name}: a key prefix with braces is refused`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    assert.throws(() => new RedisSessionStore(fx.redis, `${fx.prefix}{x}`), /may not contain/)
  })

  test(`RedisSessionStore on ${name}: scripts Redis forgot (SCRIPT FLUSH, a restart, a failover) are sent again`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    // Flushing the scripts of the shared Redis would disturb whoever else uses it: ours only.
    if (fx.cluster === undefined) return t.skip('on the cluster the tests start')
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    await store.create(sessionRecord('s1', { principal: 'alice' }), 10_000, { maxSessions: 10 })
    for (const node of (fx.redis as Cluster).nodes('master')) await node.script('FLUSH')
    assert.ok(await store.touch('s1', 10_000), 'touched after the flush')
    assert.strictEqual(await store.count('alice'), 1)
    assert.strictEqual(await store.create(sessionRecord('s2'), 10_000, { maxSessions: 10 }), 'created')
  })

  test(`RedisSessionStore on ${name}: a touch writes the index only once the record would outlive its entry`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const store = new RedisSessionStore(fx.redis, fx.prefix)
    const { sessions } = indexKeys(fx.prefix)
    await store.create(sessionRecord('s1'), 60_000, { maxSessions: 10 })
    await store.touch('s1', 60_000)
    const first = Number(await fx.redis.zscore(sessions, 's1'))
    assert.ok(first - Date.now() > 60_000, 'the entry is set past the record\'s expiry')
    await sleep(20)
    await store.touch('s1', 60_000)
    assert.strictEqual(Number(await fx.redis.zscore(sessions, 's1')), first, 'within the margin: not written again')
    await store.touch('s1', 120_000)
    assert.ok(Number(await fx.redis.zscore(sessions, 's1')) - Date.now() > 120_000, 'a record that would outlive it: written')
  })
}
