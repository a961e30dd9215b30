import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatEventId, MemoryEventLog, parseEventId } from '../src/index.ts'
import { notification } from './helpers.ts'

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

test('MemoryEventLog: maxEvents bounds each session, evicting its oldest events', async (t) => {
  const log = new MemoryEventLog(3)
  await log.append('s1', 'a', notification('a1'))
  await log.append('s1', 'b', notification('b1'))
  await log.append('s1', 'a', notification('a2'))
  await log.append('s2', 'a', notification('other session'))
  assert.strictEqual(await log.append('s1', 'a', notification('a3')), 'a.3', 'numbering goes on past evictions')

  assert.deepStrictEqual((await log.replay('s1', { streamId: 'a', seq: 0 })).map((e) => e.id), ['a.2', 'a.3'])
  assert.deepStrictEqual((await log.replay('s1', { streamId: 'b', seq: 0 })).map((e) => e.id), ['b.1'])
  assert.deepStrictEqual((await log.replay('s2', { streamId: 'a', seq: 0 })).map((e) => e.id), ['a.1'],
    'another session\'s events do not count against this one')

  await log.append('s1', 'a', notification('a4'))
  assert.deepStrictEqual((await log.replay('s1', { streamId: 'b', seq: 0 })).map((e) => e.id), [], 'b.1 was oldest')
  assert.deepStrictEqual((await log.replay('s1', { streamId: 'a', seq: 0 })).map((e) => e.id), ['a.2', 'a.3', 'a.4'])
})

test('MemoryEventLog: drop forgets one session\'s events', async (t) => {
  const log = new MemoryEventLog()
  await log.append('s1', 'get', notification(1))
  await log.append('s2', 'get', notification(2))
  await log.drop('s1')
  assert.deepStrictEqual(await log.replay('s1', { streamId: 'get', seq: 0 }), [])
  assert.deepStrictEqual(await log.replay('s2', { streamId: 'get', seq: 0 }), [{ id: 'get.1', message: notification(2) }])
  await log.drop('never')
  await log.close()
  assert.deepStrictEqual(await log.replay('s2', { streamId: 'get', seq: 0 }), [], 'close forgets everything')
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
