import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { JSONRPCNotification } from '@mcp-fastify/mcp-protocol'
import { formatEventId, MemoryEventLog, parseEventId } from '../src/index.ts'
import { notification, replayedIds } from './helpers.ts'

test('MemoryEventLog: ids count from 1 within each stream', async (t) => {
  const log = new MemoryEventLog()
  assert.strictEqual(await log.append('s1', 'get', notification(1)), 'get.1')
  assert.strictEqual(await log.append('s1', 'get', notification(2)), 'get.2')
  assert.strictEqual(await log.append('s1', 'abc', notification(3)), 'abc.1')
  assert.strictEqual(await log.append('s1', 'get', notification(4)), 'get.3')
  assert.strictEqual(await log.append('s1', 'abc', notification(5)), 'abc.2')
  assert.strictEqual(await log.append('s2', 'get', notification(6)), 'get.1', 'each session counts on its own')
})

test('MemoryEventLog: replay returns the later events of that stream only, in order', async (t) => {
  const log = new MemoryEventLog()
  await log.append('s1', 'get', notification('g1'))
  await log.append('s1', 'abc', notification('a1'))
  await log.append('s1', 'get', notification('g2'))
  await log.append('s2', 'get', notification('other session'))
  await log.append('s1', 'get', notification('g3'))
  await log.append('s1', 'abc', notification('a2'))

  assert.deepStrictEqual(await log.replay('s1', { streamId: 'get', seq: 0 }), [
    { id: 'get.1', message: notification('g1') },
    { id: 'get.2', message: notification('g2') },
    { id: 'get.3', message: notification('g3') }
  ])
  assert.deepStrictEqual(await log.replay('s1', { streamId: 'get', seq: 1 }), [
    { id: 'get.2', message: notification('g2') },
    { id: 'get.3', message: notification('g3') }
  ])
  assert.deepStrictEqual(await log.replay('s1', { streamId: 'abc', seq: 1 }), [
    { id: 'abc.2', message: notification('a2') }
  ])
  assert.deepStrictEqual(await log.replay('s1', { streamId: 'get', seq: 3 }), [], 'nothing after the last event')
  assert.deepStrictEqual(await log.replay('s1', { streamId: 'zzz', seq: 0 }), [], 'unknown stream')
  assert.deepStrictEqual(await log.replay('nope', { streamId: 'get', seq: 0 }), [], 'unknown session')
})

test('MemoryEventLog: an ended stream replays from its kept events; a message logged after its end (a node-gone answer) is numbered on', async (t) => {
  const log = new MemoryEventLog()
  await log.append('s1', 'post', notification('p1'))
  await log.append('s1', 'post', notification('p2'), { final: true })
  for (let i = 0; i < 10; i++) await log.append('s1', `other${i}`, notification(i), { final: true })
  assert.deepStrictEqual(await replayedIds(log, 's1', 'post'), ['post.1', 'post.2'])
  assert.deepStrictEqual(await log.replay('s1', { streamId: 'post', seq: 2 }), [], 'nothing after its last event')
  assert.strictEqual(await log.append('s1', 'post', notification('gone'), { final: true, dedupe: 'gone:post' }), 'post.3', 'numbered on, not from 1')
  assert.strictEqual(await log.append('s1', 'post', notification('gone'), { final: true, dedupe: 'gone:post' }), undefined, 'logged once')
  assert.deepStrictEqual(await replayedIds(log, 's1', 'post', 2), ['post.3'])
})

test('MemoryEventLog: maxEvents bounds each session, evicting its oldest events; a replay past them is refused', async (t) => {
  const log = new MemoryEventLog(3)
  await log.append('s1', 'a', notification('a1'))
  await log.append('s1', 'b', notification('b1'))
  await log.append('s1', 'a', notification('a2'))
  await log.append('s2', 'a', notification('other session'))
  assert.strictEqual(await log.append('s1', 'a', notification('a3')), 'a.3', 'numbering goes on past evictions')

  assert.strictEqual(await replayedIds(log, 's1', 'a', 0), 'gone', 'a.1 was evicted: a replay from a.0 would skip it')
  assert.deepStrictEqual(await replayedIds(log, 's1', 'a', 1), ['a.2', 'a.3'])
  assert.deepStrictEqual(await replayedIds(log, 's1', 'b', 0), ['b.1'])
  assert.deepStrictEqual(await replayedIds(log, 's2', 'a', 0), ['a.1'], 'another session\'s events do not count against this one')

  await log.append('s1', 'a', notification('a4'))
  assert.strictEqual(await replayedIds(log, 's1', 'b', 0), 'gone', 'b.1 was oldest')
  assert.deepStrictEqual(await replayedIds(log, 's1', 'b', 1), [], 'nothing after the last event of b')
  assert.deepStrictEqual(await replayedIds(log, 's1', 'a', 1), ['a.2', 'a.3', 'a.4'])
})

test('MemoryEventLog: replay of a stream it never saw is empty from its priming id, refused past it', async (t) => {
  const log = new MemoryEventLog()
  await log.append('s1', 'a', notification(1))
  assert.deepStrictEqual(await replayedIds(log, 's1', 'zzz', 0), [])
  assert.strictEqual(await replayedIds(log, 's1', 'zzz', 4), 'gone')
  assert.deepStrictEqual(await replayedIds(log, 's1', 'a', 7), [], 'an id past the last: nothing to replay')
})

test('MemoryEventLog: a stream whose final event was evicted is forgotten; resuming it is refused', async (t) => {
  const log = new MemoryEventLog(2)
  await log.append('s1', 'post', notification(1))
  await log.append('s1', 'post', { jsonrpc: '2.0', id: 1, result: {} }, { final: true })
  await log.append('s1', 'get', notification('g1'))
  await log.append('s1', 'get', notification('g2'))
  assert.strictEqual(await replayedIds(log, 's1', 'post', 1), 'gone')
  assert.deepStrictEqual(await replayedIds(log, 's1', 'get', 0), ['get.1', 'get.2'])
})

test('MemoryEventLog: maxBytesPerSession bounds the JSON kept per session, oldest first', async (t) => {
  const big = (n: number): JSONRPCNotification => ({ jsonrpc: '2.0', method: 'notifications/message', params: { n, data: 'x'.repeat(400) } })
  const size = Buffer.byteLength(JSON.stringify(big(1)))
  const log = new MemoryEventLog({ maxBytesPerSession: size * 3, maxBytes: size * 100 })
  for (let n = 1; n <= 5; n++) await log.append('s1', 'get', big(n))
  await log.append('s2', 'get', big(1))
  assert.strictEqual(await replayedIds(log, 's1', 'get', 1), 'gone')
  assert.deepStrictEqual(await replayedIds(log, 's1', 'get', 2), ['get.3', 'get.4', 'get.5'], 'the last three fit')
  assert.deepStrictEqual(await replayedIds(log, 's2', 'get', 0), ['get.1'])
  assert.strictEqual(log.bytes, size * 4)

  // One event larger than a session may keep is not kept: a resume before it is refused.
  const huge: JSONRPCNotification = { jsonrpc: '2.0', method: 'notifications/message', params: { data: 'y'.repeat(size * 4) } }
  assert.strictEqual(await log.append('s1', 'get', huge), 'get.6', 'it still gets its id')
  assert.strictEqual(await replayedIds(log, 's1', 'get', 5), 'gone')
  assert.strictEqual(log.bytes, size, 'only s2\'s event is left')
})

test('MemoryEventLog: maxBytes bounds all sessions together, the oldest events of any session going first', async (t) => {
  const size = Buffer.byteLength(JSON.stringify(notification(10)))
  const log = new MemoryEventLog({ maxBytesPerSession: size * 100, maxBytes: size * 4 })
  await log.append('old', 'get', notification(10))
  await log.append('old', 'get', notification(11))
  await log.append('new', 'get', notification(12))
  await log.append('new', 'get', notification(13))
  assert.strictEqual(log.bytes, size * 4)
  await log.append('new', 'get', notification(14))
  assert.strictEqual(log.bytes, size * 4, 'never past the bound')
  assert.strictEqual(await replayedIds(log, 'old', 'get', 0), 'gone', 'the oldest event of all went')
  assert.deepStrictEqual(await replayedIds(log, 'old', 'get', 1), ['get.2'])
  assert.deepStrictEqual(await replayedIds(log, 'new', 'get', 0), ['get.1', 'get.2', 'get.3'])

  // Dropping a session gives its bytes back at once.
  await log.drop('new')
  assert.strictEqual(log.bytes, size)
  for (let n = 0; n < 3; n++) await log.append('third', 'get', notification(20 + n))
  assert.deepStrictEqual(await replayedIds(log, 'old', 'get', 1), ['get.2'], 'nothing of old was evicted for room that was free')
})

test('MemoryEventLog: many sessions coming and going keep the bytes and the queue bounded', async (t) => {
  const log = new MemoryEventLog({ maxEvents: 50, maxBytesPerSession: 1024 * 1024, maxBytes: 20_000 })
  for (let session = 0; session < 300; session++) {
    for (let n = 0; n < 20; n++) await log.append(`s${session}`, 'get', notification(n))
    if (session % 2 === 0) await log.drop(`s${session}`)
  }
  assert.ok(log.bytes <= 20_000, `bytes ${log.bytes}`)
  assert.deepStrictEqual(await replayedIds(log, 's299', 'get', 17), ['get.18', 'get.19', 'get.20'], 'the newest are kept')
})

test('formatEventId: <streamId>.<seq>', (t) => {
  assert.strictEqual(formatEventId('get', 0), 'get.0')
  assert.strictEqual(formatEventId('Ab_-9', 42), 'Ab_-9.42')
})

test('parseEventId: valid ids', (t) => {
  assert.deepStrictEqual(parseEventId('get.0'), { streamId: 'get', seq: 0 })
  assert.deepStrictEqual(parseEventId('get.17'), { streamId: 'get', seq: 17 })
  assert.deepStrictEqual(parseEventId('aZ09_-xY.3'), { streamId: 'aZ09_-xY', seq: 3 })
  assert.deepStrictEqual(parseEventId(`${'s'.repeat(64)}.1`), { streamId: 's'.repeat(64), seq: 1 })
  assert.deepStrictEqual(parseEventId('get.999999999999999'), { streamId: 'get', seq: 999_999_999_999_999 })
  for (const [streamId, seq] of [['get', 0], ['x', 5], ['QmFzZTY0dXJs', 123]] as const) {
    assert.deepStrictEqual(parseEventId(formatEventId(streamId, seq)), { streamId, seq }, 'round trip')
  }
})

test('parseEventId: anything else is undefined', (t) => {
  const invalid = [
    '', 'get', 'get.', '.1', '1', 'get.-1', 'get.+1', 'get.1.2', 'get..1', 'get.1x', 'get.x', 'get. 1', ' get.1',
    'get.1 ', 'g t.1', 'g/t.1', 'g.t.1', 'gét.1', `${'s'.repeat(65)}.1`, 'get.1234567890123456', 'get.1e3', 'get.0x1'
  ]
  for (const id of invalid) assert.strictEqual(parseEventId(id), undefined, JSON.stringify(id))
})
