import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Stream } from '../src/index.ts'
import { ControlledEventLog, deferred, fakeSink, flush, notification, streamServices } from './helpers.ts'

const SESSION = 'session-1'

function makeStream (log = new ControlledEventLog()): { stream: Stream, log: ControlledEventLog, completed: Stream[] } {
  const completed: Stream[] = []
  const stream = new Stream('s', SESSION, streamServices(log), { onComplete: (done) => { completed.push(done) } })
  return { stream, log, completed }
}

test('Stream: send logs the message, then writes it to the attached sink', async (t) => {
  const timeline: string[] = []
  const { stream, log } = makeStream(new ControlledEventLog(timeline))
  const sink = fakeSink({ timeline })
  stream.attach(sink)
  assert.strictEqual(stream.connected, true)
  assert.strictEqual(stream.lastEventId, 's.0', 'the priming id before anything was sent')
  await stream.send(notification(1))
  await stream.send(notification(2))
  assert.deepStrictEqual(timeline, ['log:s.1', 'write:s.1', 'log:s.2', 'write:s.2'])
  assert.deepStrictEqual(sink.writes, [{ id: 's.1', message: notification(1) }, { id: 's.2', message: notification(2) }])
  assert.strictEqual(stream.lastEventId, 's.2')
  assert.deepStrictEqual(await log.replay(SESSION, { streamId: 's', seq: 0 }),
    [{ id: 's.1', message: notification(1) }, { id: 's.2', message: notification(2) }])
})

test('Stream: concurrent sends are logged and written one at a time, in call order', async (t) => {
  const timeline: string[] = []
  const log = new ControlledEventLog(timeline)
  // Earlier appends take longer: without ordering, later messages would overtake them.
  log.appendDelay = (n) => 6 - n
  const { stream } = makeStream(log)
  const sink = fakeSink({
    timeline,
    onWrite: (id) => assert.ok(id !== undefined && log.appended.includes(id), `${id} is logged before it is written`)
  })
  stream.attach(sink)
  await Promise.all([0, 1, 2, 3, 4].map((n) => stream.send(notification(n))))
  assert.deepStrictEqual(sink.writes, [0, 1, 2, 3, 4].map((n) => ({ id: `s.${n + 1}`, message: notification(n) })))
  assert.deepStrictEqual(timeline, [1, 2, 3, 4, 5].flatMap((n) => [`log:s.${n}`, `write:s.${n}`]))
})

test('Stream: when the log fails, a connected client still gets the message, without an id; the stream goes on', async (t) => {
  const log = new ControlledEventLog()
  const { stream } = makeStream(log)
  const sink = fakeSink()
  stream.attach(sink)
  const append = log.append.bind(log)
  let calls = 0
  log.append = async (...args) => {
    if (calls++ === 0) throw new Error('log down')
    return append(...args)
  }
  await stream.send(notification('unlogged'))
  await stream.send(notification('next'))
  assert.deepStrictEqual(sink.writes, [{ id: undefined, message: notification('unlogged') }, { id: 's.1', message: notification('next') }])
})

test('Stream: without a sink messages are logged, and resume replays them then goes on live', async (t) => {
  const { stream } = makeStream()
  await stream.send(notification(1))
  await stream.send(notification(2))
  await stream.send(notification(3))
  assert.strictEqual(stream.connected, false)
  const sink = fakeSink()
  await stream.resume(sink, 's.1')
  assert.deepStrictEqual(sink.writes, [{ id: 's.2', message: notification(2) }, { id: 's.3', message: notification(3) }])
  assert.strictEqual(stream.connected, true, 'the sink is attached after the replay')
  assert.strictEqual(sink.ended, false)
  await stream.send(notification(4))
  assert.deepStrictEqual(sink.ids, ['s.2', 's.3', 's.4'])
})

test('Stream: sends made while a resume replays are written after it, none lost or doubled', async (t) => {
  const { stream, log } = makeStream()
  await stream.send(notification(1))
  await stream.send(notification(2))
  const replayGate = deferred()
  log.replayGate = replayGate.promise
  const sink = fakeSink()
  const resumed = stream.resume(sink, 's.0')
  const sent = [stream.send(notification(3)), stream.send(notification(4))]
  await flush()
  assert.deepStrictEqual(sink.ids, [], 'nothing is written while the replay is held')
  replayGate.resolve()
  await Promise.all([resumed, ...sent])
  assert.deepStrictEqual(sink.writes, [1, 2, 3, 4].map((n) => ({ id: `s.${n}`, message: notification(n) })))
  log.replayGate = undefined
  await stream.send(notification(5))
  assert.deepStrictEqual(sink.ids, ['s.1', 's.2', 's.3', 's.4', 's.5'])
})

test('Stream: a resume that starts while a send is being logged includes that send exactly once', async (t) => {
  const { stream, log } = makeStream()
  const appendGate = deferred()
  log.appendGate = appendGate.promise
  const first = stream.send(notification(1))
  const sink = fakeSink()
  const resumed = stream.resume(sink, 's.0')
  const second = stream.send(notification(2))
  log.appendGate = undefined
  appendGate.resolve()
  await Promise.all([first, resumed, second])
  assert.deepStrictEqual(sink.ids, ['s.1', 's.2'])
})

test('Stream: resume with a newer sink ends the one attached', async (t) => {
  const { stream } = makeStream()
  const old = fakeSink()
  stream.attach(old)
  await stream.send(notification(1))
  const sink = fakeSink()
  await stream.resume(sink, 's.0')
  assert.strictEqual(old.ended, true)
  await stream.send(notification(2))
  assert.deepStrictEqual(old.ids, ['s.1'])
  assert.deepStrictEqual(sink.ids, ['s.1', 's.2'])
})

test('Stream: attaching a second sink ends the first; the newest gets what follows', async (t) => {
  for (const closeOnEnd of [false, true]) {
    const { stream } = makeStream()
    const first = fakeSink({ closeOnEnd })
    const second = fakeSink({ closeOnEnd })
    stream.attach(first)
    await stream.send(notification(1))
    stream.attach(second)
    assert.deepStrictEqual(first.ends, [undefined], `closeOnEnd=${closeOnEnd}: the first sink is ended`)
    assert.strictEqual(stream.connected, true, `closeOnEnd=${closeOnEnd}: the second stays attached`)
    await stream.send(notification(2))
    assert.deepStrictEqual(first.ids, ['s.1'])
    assert.deepStrictEqual(second.ids, ['s.2'])
    assert.strictEqual(second.ended, false)
  }
})

test('Stream: attaching the sink already attached does not end it', async (t) => {
  const { stream } = makeStream()
  const sink = fakeSink()
  stream.attach(sink)
  stream.attach(sink)
  assert.strictEqual(sink.ended, false)
  await stream.send(notification(1))
  assert.deepStrictEqual(sink.ids, ['s.1'], 'written once')
})

test('Stream: a sink that closes is detached; the stream logs on without it', async (t) => {
  const { stream, log } = makeStream()
  const sink = fakeSink()
  stream.attach(sink)
  await stream.send(notification(1))
  sink.close()
  assert.strictEqual(stream.connected, false)
  await stream.send(notification(2))
  assert.deepStrictEqual(sink.ids, ['s.1'])
  assert.deepStrictEqual((await log.replay(SESSION, { streamId: 's', seq: 1 }))?.map((e) => e.id), ['s.2'])
})

test('Stream: a replaced sink closing late does not detach the newer one', async (t) => {
  const { stream } = makeStream()
  const first = fakeSink()
  const second = fakeSink()
  stream.attach(first)
  stream.attach(second)
  first.close()
  assert.strictEqual(stream.connected, true)
  await stream.send(notification(1))
  assert.deepStrictEqual(second.ids, ['s.1'])
})

test('Stream: complete(message) writes it, ends the sink and marks the stream completed', async (t) => {
  const { stream, completed } = makeStream()
  const sink = fakeSink()
  stream.attach(sink)
  await stream.send(notification(1))
  assert.strictEqual(stream.completed, false)
  const response = { jsonrpc: '2.0', id: 7, result: {} } as const
  await stream.complete(response)
  assert.deepStrictEqual(sink.timeline, ['write:s.1', 'write:s.2', 'end:undefined'])
  assert.deepStrictEqual(sink.writes[1], { id: 's.2', message: response })
  assert.strictEqual(stream.completed, true)
  assert.strictEqual(stream.connected, false)
  assert.deepStrictEqual(completed, [stream], 'onComplete is called once, with the stream')
})

test('Stream: complete() without a message ends the sink after pending sends', async (t) => {
  const { stream, log, completed } = makeStream()
  const sink = fakeSink()
  stream.attach(sink)
  const appendGate = deferred()
  log.appendGate = appendGate.promise
  const sent = stream.send(notification(1))
  const done = stream.complete()
  await flush()
  assert.strictEqual(sink.ended, false, 'not before the pending send is written')
  assert.strictEqual(stream.completed, false)
  appendGate.resolve()
  await Promise.all([sent, done])
  assert.deepStrictEqual(sink.timeline, ['write:s.1', 'end:undefined'])
  assert.strictEqual(stream.completed, true)
  assert.strictEqual(completed.length, 1)
})

test('Stream: disconnect(retryMs) ends the sink with the retry hint after pending writes', async (t) => {
  const { stream, log } = makeStream()
  const sink = fakeSink()
  stream.attach(sink)
  const appendGate = deferred()
  log.appendGate = appendGate.promise
  const sent = stream.send(notification(1))
  const disconnected = stream.disconnect(500)
  await flush()
  assert.strictEqual(sink.ended, false, 'the pending write comes first')
  log.appendGate = undefined
  appendGate.resolve()
  await Promise.all([sent, disconnected])
  assert.deepStrictEqual(sink.timeline, ['write:s.1', 'end:500'])
  assert.strictEqual(stream.connected, false)
  assert.strictEqual(stream.completed, false, 'the stream itself goes on')

  await stream.send(notification(2))
  assert.deepStrictEqual(sink.ids, ['s.1'], 'nothing is written to the ended sink')
  const again = fakeSink()
  await stream.resume(again, 's.1')
  assert.deepStrictEqual(again.ids, ['s.2'], 'the client resumes with Last-Event-ID')
})

test('Stream: disconnect() without a sink does nothing', async (t) => {
  const { stream } = makeStream()
  await stream.disconnect(100)
  await stream.send(notification(1))
  assert.strictEqual(stream.lastEventId, 's.1')
})

test('Stream: resume of a completed stream replays, then ends the sink', async (t) => {
  const { stream } = makeStream()
  await stream.send(notification(1))
  await stream.send(notification(2))
  await stream.complete(notification('last'))
  const sink = fakeSink()
  await stream.resume(sink, 's.1')
  assert.deepStrictEqual(sink.timeline, ['write:s.2', 'write:s.3', 'end:undefined'])
  assert.deepStrictEqual(sink.writes[1], { id: 's.3', message: notification('last') })
  assert.strictEqual(stream.connected, false, 'a completed stream does not take the sink')
})
