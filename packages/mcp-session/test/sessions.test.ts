import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { errorCodes, McpSessions, MemorySessionStore, REAP_BATCH, STANDALONE_STREAM_ID, type SessionFailure } from '../src/index.ts'
import { resolveSettings } from '../src/options.ts'
import { advance, fakeSink, flush, memoryServices, NEW_SESSION, notification, startSessions } from './helpers.ts'

const START = 1_000_000

function clock (t: TestContext): void {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: START })
}

function standaloneEvents (sessions: McpSessions, sessionId: string): Promise<string[]> {
  return sessions.eventLog.replay(sessionId, { streamId: STANDALONE_STREAM_ID, seq: 0 })
    .then((events) => events?.map((event) => event.id) ?? ['gone'])
}

test('McpSessions: create gives unique ids and stores the record', async (t) => {
  clock(t)
  const sessions = await startSessions(t)
  const ids = new Set<string>()
  for (let i = 0; i < 20; i++) ids.add((await sessions.create(NEW_SESSION)).id)
  assert.strictEqual(ids.size, 20)
  assert.strictEqual(sessions.size, 20)
  assert.strictEqual(await sessions.store.count(), 20)

  const session = await sessions.create({ ...NEW_SESSION, principal: 'alice' })
  assert.match(session.id, /^[0-9a-f-]{36}$/, 'a UUID: visible ASCII, as Mcp-Session-Id requires')
  assert.deepStrictEqual(await sessions.store.get(session.id), {
    id: session.id,
    protocolVersion: '2025-11-25',
    clientCapabilities: { roots: { listChanged: true } },
    clientInfo: { name: 'test-client', version: '1.0.0' },
    logLevel: undefined,
    subscriptions: [],
    principal: 'alice',
    createdAt: START
  })
  assert.strictEqual(session.principal, 'alice')
})

test('McpSessions: get returns the held session and slides its expiry', async (t) => {
  clock(t)
  const sessions = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 })
  const session = await sessions.create(NEW_SESSION)
  t.mock.timers.setTime(START + 900)
  assert.strictEqual(await sessions.get(session.id), session)
  assert.strictEqual(session.lastSeen, START + 900)
  t.mock.timers.setTime(START + 1800) // past the expiry of creation, within the one of the get
  assert.ok(await sessions.store.get(session.id), 'the record was touched by get')
  t.mock.timers.setTime(START + 1901)
  assert.strictEqual(await sessions.store.get(session.id), undefined)
})

test('McpSessions: get of an unknown id is undefined', async (t) => {
  clock(t)
  const sessions = await startSessions(t)
  await sessions.create(NEW_SESSION)
  assert.strictEqual(await sessions.get('nope'), undefined)
  assert.strictEqual(await sessions.get(''), undefined)
  assert.strictEqual(sessions.size, 1)
})

test('McpSessions: get of a held session whose record expired ends it, its events with it', async (t) => {
  clock(t)
  const sessions = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 })
  const ended: string[] = []
  sessions.onEnd((id) => ended.push(id))
  const session = await sessions.create(NEW_SESSION)
  await session.openStandalone().send(notification(1))
  t.mock.timers.setTime(START + 1001)
  assert.strictEqual(await sessions.get(session.id), undefined)
  assert.deepStrictEqual(ended, [session.id])
  assert.strictEqual(sessions.size, 0)
  assert.deepStrictEqual(await standaloneEvents(sessions, session.id), [], 'an ended session\'s events are dropped')
})

test('McpSessions: delete ends the session here: connections, events, record, onEnd', async (t) => {
  clock(t)
  const sessions = await startSessions(t)
  const ended: string[] = []
  sessions.onEnd((id) => ended.push(id))
  const session = await sessions.create(NEW_SESSION)
  const other = await sessions.create(NEW_SESSION)
  const standaloneSink = fakeSink()
  const postSink = fakeSink()
  session.openStandalone().attach(standaloneSink)
  await session.standalone?.send(notification(1))
  const post = session.openStream()
  post.attach(postSink)
  await post.send(notification(2))
  await other.openStandalone().send(notification('other'))

  assert.strictEqual(await sessions.delete(session.id), true)
  await flush()
  assert.strictEqual(standaloneSink.ended, true)
  assert.strictEqual(postSink.ended, true)
  assert.deepStrictEqual(ended, [session.id])
  assert.strictEqual(await sessions.store.get(session.id), undefined)
  assert.strictEqual(await sessions.get(session.id), undefined)
  assert.deepStrictEqual(await standaloneEvents(sessions, session.id), [])
  assert.deepStrictEqual(await sessions.eventLog.replay(session.id, { streamId: post.id, seq: 0 }), [])
  assert.deepStrictEqual(await standaloneEvents(sessions, other.id), ['get.1'], 'other sessions keep theirs')
  assert.strictEqual(sessions.size, 1)

  assert.strictEqual(await sessions.delete(session.id), false, 'already gone')
  assert.strictEqual(await sessions.delete('never'), false)
  assert.deepStrictEqual(ended, [session.id], 'onEnd runs once')
})

test('McpSessions: onEnd returns the way to stop listening', async (t) => {
  clock(t)
  const sessions = await startSessions(t)
  const ended: string[] = []
  const stop = sessions.onEnd((id) => ended.push(id))
  const first = await sessions.create(NEW_SESSION)
  const second = await sessions.create(NEW_SESSION)
  await sessions.delete(first.id)
  stop()
  await sessions.delete(second.id)
  assert.deepStrictEqual(ended, [first.id])
})

test('McpSessions: past maxSessions create fails with FST_MCP_SESSION_LIMIT (503)', async (t) => {
  clock(t)
  const sessions = await startSessions(t, { maxSessions: 2 })
  const first = await sessions.create(NEW_SESSION)
  await sessions.create(NEW_SESSION)
  await assert.rejects(sessions.create(NEW_SESSION), (error: Error & { code: string, statusCode: number }) => {
    assert.ok(error instanceof errorCodes.FST_MCP_SESSION_LIMIT)
    assert.strictEqual(error.code, 'FST_MCP_SESSION_LIMIT')
    assert.strictEqual(error.statusCode, 503)
    assert.match(error.message, /2/)
    return true
  })
  assert.strictEqual(sessions.size, 2)
  assert.strictEqual(await sessions.store.count(), 2, 'nothing was stored')
  await sessions.delete(first.id)
  assert.ok(await sessions.create(NEW_SESSION), 'room again once one ended')
})

test('McpSessions: sessions that expired no longer count against maxSessions', async (t) => {
  clock(t)
  const services = memoryServices()
  // Node A creates a session, then goes away (crash, scale-in): nobody reaps it.
  const a = new McpSessions(resolveSettings({ ttlMs: 1000, maxSessions: 1 }), services)
  await a.create(NEW_SESSION)
  const b = await startSessions(t, { ttlMs: 1000, maxSessions: 1, reapIntervalMs: 3_600_000 }, services)
  await assert.rejects(b.create(NEW_SESSION), { code: 'FST_MCP_SESSION_LIMIT' })
  t.mock.timers.setTime(START + 5000)
  assert.ok(await b.create(NEW_SESSION), 'the expired session is not live any more')
})

test('McpSessions: the reaper ends a session idle for ttlMs', async (t) => {
  clock(t)
  const sessions = await startSessions(t, { ttlMs: 1000 })
  const ended: string[] = []
  sessions.onEnd((id) => ended.push(id))
  const idle = await sessions.create(NEW_SESSION)
  await idle.openStandalone().send(notification(1))
  await advance(t, 500)
  const used = await sessions.create(NEW_SESSION)
  await advance(t, 600) // idle: 1100 since created; used: 600
  assert.deepStrictEqual(ended, [idle.id])
  assert.strictEqual(await sessions.store.get(idle.id), undefined)
  assert.deepStrictEqual(await standaloneEvents(sessions, idle.id), [])
  assert.strictEqual(sessions.size, 1)
  assert.strictEqual(await sessions.store.count(), 1)
  await advance(t, 500)
  assert.deepStrictEqual(ended, [idle.id, used.id])
  assert.strictEqual(sessions.size, 0)
  assert.strictEqual(await sessions.store.count(), 0, 'the store is empty')
})

test('McpSessions: the reaper runs every reapIntervalMs, by default a tenth of ttlMs, at most a minute', async (t) => {
  clock(t)
  const byDefault = await startSessions(t, { ttlMs: 2000 })
  const custom = await startSessions(t, { ttlMs: 2000, reapIntervalMs: 300 })
  const capped = await startSessions(t, { ttlMs: 3_600_000 })
  const calls = { byDefault: 0, custom: 0, capped: 0 }
  byDefault.reap = async () => { calls.byDefault++ }
  custom.reap = async () => { calls.custom++ }
  capped.reap = async () => { calls.capped++ }
  t.mock.timers.tick(1000)
  assert.deepStrictEqual(calls, { byDefault: 5, custom: 3, capped: 0 })
  t.mock.timers.tick(119_000)
  assert.deepStrictEqual(calls.capped, 2)
})

test('McpSessions: reaps that overlap (a slow store) end a session once', async (t) => {
  clock(t)
  const sessions = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 })
  const ended: string[] = []
  sessions.onEnd((id) => ended.push(id))
  const session = await sessions.create(NEW_SESSION)
  t.mock.timers.setTime(START + 2000)
  await Promise.all([sessions.reap(), sessions.reap()])
  assert.deepStrictEqual(ended, [session.id])
})

test('McpSessions: the reaper keeps a session with a connected stream, however long', async (t) => {
  clock(t)
  const sessions = await startSessions(t, { ttlMs: 1000 })
  const ended: string[] = []
  sessions.onEnd((id) => ended.push(id))
  const session = await sessions.create(NEW_SESSION)
  const sink = fakeSink()
  session.openStandalone().attach(sink)
  await advance(t, 5000)
  assert.deepStrictEqual(ended, [])
  assert.strictEqual(sink.ended, false)
  assert.strictEqual(sessions.size, 1)
  assert.ok(await sessions.store.get(session.id), 'its record was kept alive')
})

test('McpSessions: a session whose connection closed ends ttlMs after, not before', async (t) => {
  clock(t)
  const sessions = await startSessions(t, { ttlMs: 1000 })
  const ended: string[] = []
  sessions.onEnd((id) => ended.push(id))
  const session = await sessions.create(NEW_SESSION)
  const sink = fakeSink()
  session.openStandalone().attach(sink)
  await session.standalone?.send(notification(1))
  await advance(t, 5000)
  sink.close()
  await advance(t, 500)
  assert.strictEqual(sessions.size, 1, 'in use until 500 ms ago: still held')
  assert.strictEqual(await sessions.get(session.id), session, 'still the same session, streams and all')
  await advance(t, 1200)
  assert.deepStrictEqual(ended, [session.id], 'ended once idle for ttlMs')
  assert.strictEqual(await sessions.store.count(), 0)
  assert.deepStrictEqual(await standaloneEvents(sessions, session.id), [])
})

test('McpSessions: the reaper only forgets a session another node keeps using', async (t) => {
  clock(t)
  const services = memoryServices()
  const a = await startSessions(t, { ttlMs: 1000 }, services)
  const b = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 }, services)
  const endedOnA: string[] = []
  a.onEnd((id) => endedOnA.push(id))
  const session = await a.create(NEW_SESSION)
  for (let i = 0; i < 6; i++) {
    await advance(t, 250)
    assert.ok(await b.get(session.id), 'the client goes on with node B')
  }
  assert.strictEqual(a.size, 0, 'A let go of it')
  assert.deepStrictEqual(endedOnA, [], 'without ending it')
  assert.ok(await a.store.get(session.id))
  assert.ok(await a.get(session.id), 'A takes it up again when asked')
})

test('McpSessions: broadcast reaches every standalone stream; with a uri, only subscribers', async (t) => {
  clock(t)
  const sessions = await startSessions(t)
  const plain = await sessions.create(NEW_SESSION)
  const subscriber = await sessions.create(NEW_SESSION)
  const postOnly = await sessions.create(NEW_SESSION)
  const unconnected = await sessions.create(NEW_SESSION)
  const plainSink = fakeSink()
  const subscriberSink = fakeSink()
  const postSink = fakeSink()
  plain.openStandalone().attach(plainSink)
  subscriber.openStandalone().attach(subscriberSink)
  postOnly.openStream().attach(postSink)
  unconnected.openStandalone()
  await subscriber.subscribe('file:///a')

  const listChanged = notification('tools', 'notifications/tools/list_changed')
  const updated = { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'file:///a' } } as const
  sessions.broadcast(listChanged)
  sessions.broadcast(updated, 'file:///a')
  sessions.broadcast(notification('b'), 'file:///b')
  await flush()

  assert.deepStrictEqual(plainSink.writes, [{ id: 'get.1', message: listChanged }])
  assert.deepStrictEqual(subscriberSink.writes, [{ id: 'get.1', message: listChanged }, { id: 'get.2', message: updated }])
  assert.deepStrictEqual(postSink.writes, [], 'a POST stream is not for notifications outside requests')
  assert.deepStrictEqual(await standaloneEvents(sessions, unconnected.id), ['get.1'], 'logged for when the client reconnects')
  assert.strictEqual(postOnly.standalone, undefined, 'no standalone stream is opened by a broadcast')
})

test('McpSessions: two nodes on one store find each other\'s sessions', async (t) => {
  clock(t)
  const services = memoryServices()
  const a = await startSessions(t, {}, services)
  const b = await startSessions(t, {}, services)
  const created = await a.create({ ...NEW_SESSION, principal: 'alice' })
  await created.setLogLevel('error')
  await created.subscribe('file:///a')
  const found = await b.get(created.id)
  assert.ok(found, 'B finds it in the store')
  assert.notStrictEqual(found, created, 'B holds its own Session')
  assert.strictEqual(found.id, created.id)
  assert.strictEqual(found.protocolVersion, '2025-11-25')
  assert.deepStrictEqual(found.clientInfo, NEW_SESSION.clientInfo)
  assert.strictEqual(found.principal, 'alice')
  assert.strictEqual(found.logLevel, 'error')
  assert.strictEqual(found.isSubscribed('file:///a'), true)
  assert.strictEqual(b.size, 1)
  assert.strictEqual(await b.get(created.id), found, 'then held by B')
})

test('McpSessions: a session taken up from the store has its expiry slid too', async (t) => {
  clock(t)
  const services = memoryServices()
  const a = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 }, services)
  const b = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 }, services)
  const created = await a.create(NEW_SESSION)
  t.mock.timers.setTime(START + 900)
  assert.ok(await b.get(created.id))
  t.mock.timers.setTime(START + 1800)
  assert.ok(await services.store.get(created.id), 'touched when B took it up')
})

test('McpSessions: a broadcast on one node reaches the other node\'s sessions exactly once', async (t) => {
  clock(t)
  const services = memoryServices()
  const a = await startSessions(t, {}, services)
  const b = await startSessions(t, {}, services)
  const onA = await a.create(NEW_SESSION)
  const onB = await b.create(NEW_SESSION)
  const subscribedOnB = await b.create(NEW_SESSION)
  await subscribedOnB.subscribe('file:///a')
  const sinkA = fakeSink()
  const sinkB = fakeSink()
  const sinkSubscribed = fakeSink()
  onA.openStandalone().attach(sinkA)
  onB.openStandalone().attach(sinkB)
  subscribedOnB.openStandalone().attach(sinkSubscribed)

  const listChanged = notification('tools', 'notifications/tools/list_changed')
  a.broadcast(listChanged)
  await flush()
  assert.deepStrictEqual(sinkA.writes, [{ id: 'get.1', message: listChanged }])
  assert.deepStrictEqual(sinkB.writes, [{ id: 'get.1', message: listChanged }])
  assert.deepStrictEqual(sinkSubscribed.writes, [{ id: 'get.1', message: listChanged }])

  const updated = { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'file:///a' } } as const
  a.broadcast(updated, 'file:///a')
  await flush()
  assert.deepStrictEqual(sinkA.ids, ['get.1'])
  assert.deepStrictEqual(sinkB.ids, ['get.1'])
  assert.deepStrictEqual(sinkSubscribed.writes.map((w) => w.message), [listChanged, updated])
})

test('McpSessions: a session deleted on one node ends on the other at its next use', async (t) => {
  clock(t)
  const services = memoryServices()
  const a = await startSessions(t, {}, services)
  const b = await startSessions(t, {}, services)
  const endedOnB: string[] = []
  b.onEnd((id) => endedOnB.push(id))
  const session = await a.create(NEW_SESSION)
  const onB = await b.get(session.id)
  const sink = fakeSink()
  onB?.openStandalone().attach(sink)
  assert.strictEqual(await a.delete(session.id), true)
  assert.strictEqual(await b.get(session.id), undefined)
  await flush()
  assert.deepStrictEqual(endedOnB, [session.id])
  assert.strictEqual(sink.ended, true)
  assert.strictEqual(b.size, 0)
})

test('McpSessions: deleting a session held on another node ends it here too (onEnd)', async (t) => {
  clock(t)
  const services = memoryServices()
  const a = await startSessions(t, {}, services)
  const c = await startSessions(t, {}, services)
  const endedOnC: string[] = []
  c.onEnd((id) => endedOnC.push(id))
  const session = await a.create(NEW_SESSION)
  await session.openStandalone().send(notification(1))
  assert.strictEqual(await c.delete(session.id), true)
  assert.deepStrictEqual(endedOnC, [session.id])
  assert.strictEqual(await services.store.get(session.id), undefined)
  assert.deepStrictEqual(await standaloneEvents(c, session.id), [], 'its events are dropped')
})

test('McpSessions: close stops listening to the other nodes', async (t) => {
  clock(t)
  const services = memoryServices()
  const a = await startSessions(t, {}, services)
  const b = await startSessions(t, {}, services)
  const onB = await b.create(NEW_SESSION)
  onB.openStandalone()
  await b.close()
  a.broadcast(notification(1))
  await flush()
  assert.deepStrictEqual(await standaloneEvents(b, onB.id), [])
})

test('McpSessions: concurrent creates never pass maxSessions or maxSessionsPerPrincipal together', async (t) => {
  clock(t)
  const sessions = await startSessions(t, { maxSessions: 4, maxSessionsPerPrincipal: 2 })
  const alice = await Promise.allSettled(Array.from({ length: 5 }, () => sessions.create({ ...NEW_SESSION, principal: 'alice' })))
  assert.strictEqual(alice.filter((outcome) => outcome.status === 'fulfilled').length, 2)
  for (const outcome of alice.filter((outcome) => outcome.status === 'rejected')) {
    assert.strictEqual((outcome.reason as { code: string }).code, 'FST_MCP_SESSION_PRINCIPAL_LIMIT')
  }
  const others = await Promise.allSettled(Array.from({ length: 5 }, () => sessions.create(NEW_SESSION)))
  assert.strictEqual(others.filter((outcome) => outcome.status === 'fulfilled').length, 2)
  for (const outcome of others.filter((outcome) => outcome.status === 'rejected')) {
    assert.strictEqual((outcome.reason as { code: string }).code, 'FST_MCP_SESSION_LIMIT')
  }
  assert.strictEqual(await sessions.store.count(), 4)
  assert.strictEqual(sessions.size, 4)
})

/** A memory store whose calls for the sessions in `failing` throw, as a store out of reach does. */
function failingStore (failing: Set<string>): MemorySessionStore {
  const store = new MemorySessionStore()
  const fail = (id: string): void => { if (failing.has(id)) throw new Error(`store down for ${id}`) }
  const { get, touch } = store
  store.get = async (id) => { fail(id); return get.call(store, id) }
  store.touch = async (id, ttlMs) => { fail(id); return touch.call(store, id, ttlMs) }
  return store
}

test('McpSessions: the reaper goes on past a session it cannot look at, and reports it', async (t) => {
  clock(t)
  const failing = new Set<string>()
  const failures: SessionFailure[] = []
  const services = { ...memoryServices(), store: failingStore(failing) }
  const sessions = new McpSessions(resolveSettings({ ttlMs: 1000, reapIntervalMs: 3_600_000 }), { ...services, failed: (event) => { failures.push(event) } })
  await sessions.start()
  t.after(() => sessions.close())
  const ended: string[] = []
  sessions.onEnd((id) => ended.push(id))
  const broken = await sessions.create(NEW_SESSION)
  const idle = await sessions.create(NEW_SESSION)
  const connected = await sessions.create(NEW_SESSION)
  connected.openStandalone().attach(fakeSink())
  failing.add(broken.id)
  t.mock.timers.setTime(START + 900)
  await sessions.get(connected.id)
  t.mock.timers.setTime(START + 1500)
  await sessions.reap()
  assert.deepStrictEqual(ended, [idle.id], 'the session after the broken one was reaped')
  assert.deepStrictEqual(failures.map(({ operation, sessionId }) => ({ operation, sessionId })), [{ operation: 'reap', sessionId: broken.id }])
  assert.match(String(failures[0]?.error), /store down/)
  assert.ok(await sessions.store.get(connected.id), 'the connected one was touched')
  failing.clear()
  await sessions.reap()
  assert.deepStrictEqual(ended, [idle.id, broken.id], 'and the broken one on the next round, once the store answers')
})

test('McpSessions: the reaper looks at sessions REAP_BATCH at a time, in parallel', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  let inFlight = 0
  let most = 0
  const { touch } = store
  store.touch = async (id, ttlMs) => {
    most = Math.max(most, ++inFlight)
    await flush(1)
    inFlight--
    return touch.call(store, id, ttlMs)
  }
  const sessions = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 }, { ...memoryServices(), store })
  for (let i = 0; i < REAP_BATCH * 2 + 10; i++) (await sessions.create(NEW_SESSION)).openStandalone().attach(fakeSink())
  most = 0
  await sessions.reap()
  assert.strictEqual(most, REAP_BATCH, 'a batch at a time, all of it at once')
})

test('McpSessions: a reap started while one runs waits for it rather than running again', async (t) => {
  clock(t)
  const store = new MemorySessionStore()
  let touches = 0
  const { touch } = store
  store.touch = async (id, ttlMs) => { touches++; await flush(1); return touch.call(store, id, ttlMs) }
  const sessions = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 }, { ...memoryServices(), store })
  ;(await sessions.create(NEW_SESSION)).openStandalone().attach(fakeSink())
  touches = 0
  await Promise.all([sessions.reap(), sessions.reap(), sessions.reap()])
  assert.strictEqual(touches, 1)
})

test('McpSessions: a connected session whose record is gone (deleted elsewhere, news lost) ends at the reap that slides its expiry', async (t) => {
  clock(t)
  const sessions = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 })
  const ended: string[] = []
  sessions.onEnd((id) => ended.push(id))
  const session = await sessions.create(NEW_SESSION)
  const sink = fakeSink()
  session.openStandalone().attach(sink)
  await sessions.store.delete(session.id)
  await sessions.reap()
  assert.deepStrictEqual(ended, [session.id])
  assert.strictEqual(sink.ended, true)
})

test('McpSessions: the reaper slides a connected session\'s expiry every half TTL, not at every reap', async (t) => {
  clock(t)
  const sessions = await startSessions(t, { ttlMs: 10_000, reapIntervalMs: 1000 })
  const session = await sessions.create(NEW_SESSION)
  session.openStandalone().attach(fakeSink())
  const touches: number[] = []
  const touch = sessions.store.touch.bind(sessions.store)
  sessions.store.touch = async (id, ttlMs) => {
    touches.push(Date.now() - START)
    return await touch(id, ttlMs)
  }
  await advance(t, 20_000)
  // Slid when its expiry could come within half the TTL before the next reap: 4 s after the last.
  assert.deepStrictEqual(touches, [4000, 8000, 12_000, 16_000, 20_000])
  assert.ok(await sessions.store.get(session.id), 'its record is alive')
})

/** Two nodes on memory services whose probes are answered by the writer's node (as the Redis bus carries them). */
async function twoNodes (t: TestContext): Promise<[McpSessions, McpSessions]> {
  const services = memoryServices()
  return [await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 }, services), await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 }, services)]
}

test('McpSessions: a stream followed on this node ends when the session is deleted, here or on the node that writes it', async (t) => {
  clock(t)
  for (const deleter of ['writer', 'follower'] as const) {
    const [a, b] = await twoNodes(t)
    const onA = await a.create(NEW_SESSION)
    const stream = onA.openStream(1)
    await stream.send(notification(1, 'notifications/progress'))
    const onB = await b.get(onA.id)
    const sink = fakeSink()
    assert.strictEqual(await onB?.resume(`${stream.id}.0`, sink), 'followed')
    assert.strictEqual(sink.ended, false, 'A still writes it')
    assert.strictEqual(onB?.openStreams, 1)
    await (deleter === 'writer' ? a : b).delete(onA.id)
    await flush()
    assert.strictEqual(sink.ended, true, `deleted on the ${deleter}'s node: the follower ended`)
    await stream.send(notification(2, 'notifications/progress'))
    assert.deepStrictEqual(sink.ids, [`${stream.id}.1`], 'and got nothing more')
  }
})

test('McpSessions: a stream followed on this node ends when the session expires', async (t) => {
  clock(t)
  const [a, b] = await twoNodes(t)
  const onA = await a.create(NEW_SESSION)
  const stream = onA.openStream(1)
  const onB = await b.get(onA.id)
  const sink = fakeSink()
  await onB?.resume(`${stream.id}.0`, sink)
  // The record expires (A's node went away, say); B finds out at the client's next request.
  await a.store.delete(onA.id)
  assert.strictEqual(await b.get(onA.id), undefined)
  assert.strictEqual(sink.ended, true)
})
