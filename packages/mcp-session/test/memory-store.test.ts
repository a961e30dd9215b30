import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { MemorySessionStore } from '../src/index.ts'
import { sessionRecord } from './helpers.ts'

function clock (t: TestContext): void {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 })
}

test('MemorySessionStore: create then get returns the record', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  const record = sessionRecord('s1', { principal: 'alice', subscriptions: ['file:///a'] })
  await store.create(record, 1000)
  assert.deepStrictEqual(await store.get('s1'), sessionRecord('s1', { principal: 'alice', subscriptions: ['file:///a'] }))
  assert.strictEqual(await store.get('s2'), undefined)
})

test('MemorySessionStore: a record expires ttlMs after it was created', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  await store.create(sessionRecord('s1'), 1000)
  t.mock.timers.tick(999)
  assert.ok(await store.get('s1'), 'still live just before its ttl')
  t.mock.timers.tick(2)
  assert.strictEqual(await store.get('s1'), undefined, 'gone once its ttl passed')
  assert.strictEqual(await store.touch('s1', 1000), undefined, 'an expired record cannot be touched back to life')
})

test('MemorySessionStore: touch slides the expiry forward', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  await store.create(sessionRecord('s1'), 1000)
  t.mock.timers.tick(600)
  assert.deepStrictEqual(await store.touch('s1', 1000), { logLevel: undefined, subscriptions: [] }, 'touch returns what may have changed')
  t.mock.timers.tick(900) // 1500 after creation, 900 after the touch
  assert.ok(await store.get('s1'), 'live past the original expiry')
  t.mock.timers.tick(101) // 1001 after the touch
  assert.strictEqual(await store.get('s1'), undefined)
  assert.strictEqual(await store.touch('nope', 1000), undefined, 'touching an unknown record finds nothing')
})

test('MemorySessionStore: touch uses the ttl it is given', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  await store.create(sessionRecord('s1'), 1000)
  assert.ok(await store.touch('s1', 5000))
  t.mock.timers.tick(4000)
  assert.ok(await store.get('s1'))
})

test('MemorySessionStore: update changes logLevel and subscriptions, nothing else', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  await store.create(sessionRecord('s1'), 1000)
  await store.update('s1', { logLevel: 'warning' })
  await store.update('s1', { subscriptions: ['file:///a', 'file:///b'] })
  assert.deepStrictEqual(await store.get('s1'),
    sessionRecord('s1', { logLevel: 'warning', subscriptions: ['file:///a', 'file:///b'] }))
  await store.update('nope', { logLevel: 'debug' })
  assert.strictEqual(await store.get('nope'), undefined, 'update does not create a record')
})

test('MemorySessionStore: update does not revive an expired record', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  await store.create(sessionRecord('s1'), 1000)
  t.mock.timers.tick(1001)
  await store.update('s1', { logLevel: 'debug' })
  assert.strictEqual(await store.get('s1'), undefined)
})

test('MemorySessionStore: delete removes the record, false when there was none', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  await store.create(sessionRecord('s1'), 1000)
  await store.create(sessionRecord('s2'), 1000)
  assert.strictEqual(await store.delete('s1'), true)
  assert.strictEqual(await store.get('s1'), undefined)
  assert.ok(await store.get('s2'), 'other records are untouched')
  assert.strictEqual(await store.delete('s1'), false)
  assert.strictEqual(await store.delete('never'), false)
})

test('MemorySessionStore: count follows create and delete', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  assert.strictEqual(await store.count(), 0)
  await store.create(sessionRecord('s1'), 1000)
  await store.create(sessionRecord('s2'), 1000)
  await store.create(sessionRecord('s3'), 1000)
  assert.strictEqual(await store.count(), 3)
  await store.delete('s2')
  assert.strictEqual(await store.count(), 2)
  await store.close()
  assert.strictEqual(await store.count(), 0, 'close forgets everything')
})

// SessionStore.count is documented as "Live records, for the cap on sessions": a record that
// expired (and was never read since) must not count.
test('MemorySessionStore: count counts live records only, not expired ones', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  await store.create(sessionRecord('short'), 1000)
  await store.create(sessionRecord('long'), 5000)
  assert.strictEqual(await store.count(), 2)
  t.mock.timers.tick(2000)
  assert.strictEqual(await store.count(), 1, 'the expired record is not live')
  t.mock.timers.tick(4000)
  assert.strictEqual(await store.count(), 0)
})

test('MemorySessionStore: create checks the caps and creates in one step, refusing with the cap reached', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  const caps = { maxSessions: 3, maxSessionsPerPrincipal: 2 }
  assert.strictEqual(await store.create(sessionRecord('a1', { principal: 'alice' }), 1000, caps), 'created')
  assert.strictEqual(await store.create(sessionRecord('a2', { principal: 'alice' }), 1000, caps), 'created')
  assert.strictEqual(await store.create(sessionRecord('a3', { principal: 'alice' }), 1000, caps), 'principal-limit')
  assert.strictEqual(await store.get('a3'), undefined, 'nothing stored when refused')
  assert.strictEqual(await store.create(sessionRecord('n1'), 1000, caps), 'created', 'no principal: only maxSessions applies')
  assert.strictEqual(await store.create(sessionRecord('b1', { principal: 'bob' }), 1000, caps), 'session-limit')
  assert.strictEqual(await store.count(), 3)
  assert.strictEqual(await store.create(sessionRecord('x'), 1000), 'created', 'without caps, none applies')
})

test('MemorySessionStore: concurrent creates never pass a cap together', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) =>
    store.create(sessionRecord(`s${i}`, { principal: i % 2 === 0 ? 'alice' : 'bob' }), 1000, { maxSessions: 5, maxSessionsPerPrincipal: 2 })))
  assert.strictEqual(outcomes.filter((outcome) => outcome === 'created').length, 4, `two each: ${outcomes.join(', ')}`)
  assert.strictEqual(await store.count('alice'), 2)
  assert.strictEqual(await store.count('bob'), 2)
})

test('MemorySessionStore: expired records do not fill the caps; a record recreated under its id does not count against itself', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  const caps = { maxSessions: 1, maxSessionsPerPrincipal: 1 }
  assert.strictEqual(await store.create(sessionRecord('s1', { principal: 'alice' }), 1000, caps), 'created')
  assert.strictEqual(await store.create(sessionRecord('s1', { principal: 'alice', logLevel: 'debug' }), 1000, caps), 'created')
  assert.strictEqual((await store.get('s1'))?.logLevel, 'debug', 'replaced')
  assert.strictEqual(await store.count('alice'), 1)
  t.mock.timers.tick(1500)
  assert.strictEqual(await store.create(sessionRecord('s2', { principal: 'alice' }), 1000, caps), 'created', 'the expired one was swept')
})
