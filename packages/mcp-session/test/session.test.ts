import assert from 'node:assert/strict'
import { test } from 'node:test'
import { McpError } from '@mcp-fastify/mcp-protocol'
import { MemoryEventLog, MemorySessionStore, parseEventId, Session, STANDALONE_STREAM_ID, streamTopic } from '../src/index.ts'
import { fakeSink, flush, notification, sessionRecord, streamServices } from './helpers.ts'

/**
 * A session over a memory store and event log. The session holds its own copy of the record,
 * as a node that read it from a shared store does, so only what goes through the store is seen there.
 */
async function makeSession (): Promise<{ session: Session, store: MemorySessionStore, eventLog: MemoryEventLog }> {
  const store = new MemorySessionStore()
  const eventLog = new MemoryEventLog()
  const record = sessionRecord('sess-1', { principal: 'alice' })
  await store.create(structuredClone(record), 60_000)
  const services = streamServices(eventLog)
  // The writers of streams written elsewhere answer probes: still writing.
  services.probe = async (sessionId, streamId) => {
    await services.bus.publish(streamTopic(sessionId, streamId), JSON.stringify({ alive: true }))
  }
  return { session: new Session(record, { store, ...services, changed: () => {}, settings: { maxSubscriptionsPerSession: 3 } }), store, eventLog }
}

test('Session: exposes its record', async (t) => {
  const { session } = await makeSession()
  assert.strictEqual(session.id, 'sess-1')
  assert.strictEqual(session.protocolVersion, '2025-11-25')
  assert.deepStrictEqual(session.clientCapabilities, {})
  assert.deepStrictEqual(session.clientInfo, { name: 'test-client', version: '1.0.0' })
  assert.strictEqual(session.logLevel, undefined)
  assert.strictEqual(session.principal, 'alice')
  assert.strictEqual(session.connected, false)
  assert.strictEqual(session.standalone, undefined)
})

test('Session: setLogLevel is kept in the store', async (t) => {
  const { session, store } = await makeSession()
  await session.setLogLevel('warning')
  assert.strictEqual(session.logLevel, 'warning')
  assert.strictEqual((await store.get('sess-1'))?.logLevel, 'warning')
  await session.setLogLevel('debug')
  assert.strictEqual((await store.get('sess-1'))?.logLevel, 'debug')
})

test('Session: subscribe and unsubscribe are kept in the store', async (t) => {
  const { session, store } = await makeSession()
  await session.subscribe('file:///a')
  await session.subscribe('file:///b')
  await session.subscribe('file:///a')
  assert.deepStrictEqual((await store.get('sess-1'))?.subscriptions, ['file:///a', 'file:///b'], 'no duplicates')
  assert.strictEqual(session.isSubscribed('file:///a'), true)
  await session.unsubscribe('file:///a')
  await session.unsubscribe('file:///never')
  assert.deepStrictEqual((await store.get('sess-1'))?.subscriptions, ['file:///b'])
  assert.strictEqual(session.isSubscribed('file:///a'), false)
  assert.strictEqual(session.isSubscribed('file:///b'), true)
})

test('Session: past maxSubscriptionsPerSession, subscribe is refused with -32602 and nothing changes', async (t) => {
  const { session, store } = await makeSession()
  for (const uri of ['file:///1', 'file:///2', 'file:///3']) await session.subscribe(uri)
  await session.subscribe('file:///2') // already subscribed: not one more
  await assert.rejects(session.subscribe('file:///4'), (error: McpError) => {
    assert.ok(error instanceof McpError)
    assert.strictEqual(error.code, -32602)
    assert.match(error.message, /3 resources at most/)
    assert.deepStrictEqual(error.data, { maxSubscriptions: 3 })
    return true
  })
  assert.deepStrictEqual((await store.get('sess-1'))?.subscriptions, ['file:///1', 'file:///2', 'file:///3'])
  assert.strictEqual(session.isSubscribed('file:///4'), false)
  await session.unsubscribe('file:///1')
  await session.subscribe('file:///4')
  assert.strictEqual(session.isSubscribed('file:///4'), true, 'room again after an unsubscribe')
})

test('Session: a followed stream counts as an open stream and a connection, and closing the session ends it', async (t) => {
  const { session, eventLog } = await makeSession()
  await eventLog.append('sess-1', 'elsewhere01234567890', notification(1, 'notifications/progress'))
  const sink = fakeSink()
  assert.strictEqual(await session.resume('elsewhere01234567890.0', sink), 'followed')
  assert.deepStrictEqual(sink.ids, ['elsewhere01234567890.1'])
  assert.strictEqual(sink.ended, false, 'its writer still writes it')
  assert.strictEqual(session.openStreams, 1)
  assert.strictEqual(session.connected, true)
  session.close()
  assert.strictEqual(sink.ended, true, 'the session\'s end ends it')
  assert.strictEqual(session.openStreams, 0)
  assert.strictEqual(session.connected, false)
})

test('Session: a follower whose client went away no longer counts', async (t) => {
  const { session, eventLog } = await makeSession()
  await eventLog.append('sess-1', 'elsewhere01234567890', notification(1, 'notifications/progress'))
  const sink = fakeSink()
  await session.resume('elsewhere01234567890.0', sink)
  sink.close()
  assert.strictEqual(session.openStreams, 0)
  session.close()
  assert.strictEqual(sink.ended, false, 'nothing is ended twice')
})

test('Session: openStream gives each POST stream its own valid id', async (t) => {
  const { session } = await makeSession()
  const ids = new Set<string>()
  for (let i = 0; i < 200; i++) {
    const stream = session.openStream()
    assert.notStrictEqual(stream.id, STANDALONE_STREAM_ID)
    assert.deepStrictEqual(parseEventId(stream.lastEventId), { streamId: stream.id, seq: 0 }, 'its event ids parse')
    ids.add(stream.id)
  }
  assert.strictEqual(ids.size, 200)
})

test('Session: openStandalone opens the one standalone stream', async (t) => {
  const { session } = await makeSession()
  const standalone = session.openStandalone()
  assert.strictEqual(standalone.id, STANDALONE_STREAM_ID)
  assert.strictEqual(session.openStandalone(), standalone)
  assert.strictEqual(session.standalone, standalone)
})

test('Session: connected while any of its streams has a sink', async (t) => {
  const { session } = await makeSession()
  const stream = session.openStream()
  const sink = fakeSink()
  stream.attach(sink)
  assert.strictEqual(session.connected, true)
  sink.close()
  assert.strictEqual(session.connected, false)
  const standaloneSink = fakeSink()
  session.openStandalone().attach(standaloneSink)
  assert.strictEqual(session.connected, true)
})

test('Session: resume with a standalone id replays its later events, then attaches', async (t) => {
  const { session } = await makeSession()
  const standalone = session.openStandalone()
  await standalone.send(notification(1))
  await standalone.send(notification(2))
  const sink = fakeSink()
  assert.strictEqual(await session.resume('get.1', sink), 'resumed')
  assert.deepStrictEqual(sink.writes, [{ id: 'get.2', message: notification(2) }])
  assert.strictEqual(sink.ended, false)
  await standalone.send(notification(3))
  assert.deepStrictEqual(sink.ids, ['get.2', 'get.3'], 'then live')
})

test('Session: resume with a standalone id on a node that never opened it (events in the shared log)', async (t) => {
  const { session, eventLog } = await makeSession()
  await eventLog.append('sess-1', STANDALONE_STREAM_ID, notification('from another node'))
  const sink = fakeSink()
  assert.strictEqual(await session.resume('get.0', sink), 'resumed')
  assert.deepStrictEqual(sink.writes, [{ id: 'get.1', message: notification('from another node') }])
  assert.strictEqual(session.standalone?.connected, true)
})

test('Session: resume with the id of a live POST stream replays, then attaches', async (t) => {
  const { session } = await makeSession()
  const stream = session.openStream()
  const first = fakeSink()
  stream.attach(first)
  await stream.send(notification('progress'))
  first.close()
  await stream.send(notification('missed'))
  const sink = fakeSink()
  assert.strictEqual(await session.resume(`${stream.id}.1`, sink), 'resumed')
  assert.deepStrictEqual(sink.writes, [{ id: `${stream.id}.2`, message: notification('missed') }])
  const response = { jsonrpc: '2.0', id: 1, result: {} } as const
  await stream.complete(response)
  assert.deepStrictEqual(sink.timeline, [`write:${stream.id}.2`, `write:${stream.id}.3`, 'end:undefined'])
})

test('Session: resume with the id of a completed stream replays it from the log, then ends', async (t) => {
  const { session } = await makeSession()
  const stream = session.openStream()
  await stream.send(notification('progress'))
  const response = { jsonrpc: '2.0', id: 1, result: {} } as const
  await stream.complete(response)
  const sink = fakeSink()
  assert.strictEqual(await session.resume(`${stream.id}.0`, sink), 'followed')
  assert.deepStrictEqual(sink.writes, [
    { id: `${stream.id}.1`, message: notification('progress') },
    { id: `${stream.id}.2`, message: response }
  ])
  assert.deepStrictEqual(sink.ends, [undefined])
  assert.strictEqual(session.connected, false)
})

test('Session: resume with an id that is not ours is invalid and touches nothing', async (t) => {
  const { session } = await makeSession()
  for (const id of ['', 'get', 'nonsense', 'get.x', 'get.-1', '../get.1', 'a.b.1']) {
    const sink = fakeSink()
    assert.strictEqual(await session.resume(id, sink), 'invalid', JSON.stringify(id))
    assert.deepStrictEqual(sink.timeline, [])
  }
  assert.strictEqual(session.standalone, undefined)
  assert.strictEqual(session.connected, false)
})

test('Session: close ends every connection, and its streams log and send nothing more', async (t) => {
  const { session, eventLog: log } = await makeSession()
  const standaloneSink = fakeSink()
  const postSink = fakeSink()
  session.openStream()
  const standalone = session.openStandalone()
  standalone.attach(standaloneSink)
  const post = session.openStream()
  post.attach(postSink)
  session.close()
  await flush()
  assert.deepStrictEqual(standaloneSink.ends, [undefined])
  assert.deepStrictEqual(postSink.ends, [undefined])
  assert.strictEqual(session.connected, false)
  await post.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'late' } })
  await standalone.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })
  assert.deepStrictEqual(await log.replay(session.id, { streamId: post.id, seq: 0 }), [])
  assert.deepStrictEqual(await log.replay(session.id, { streamId: standalone.id, seq: 0 }), [])
  assert.strictEqual(postSink.writes.length, 0)
})
