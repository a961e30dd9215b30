// Regression: a client that resumed on node B a stream written on node A (a POST answered there)
// was followed by B outside the session: deleting the session (DELETE, on either node) or its
// expiry closed the session's own streams but not that connection, which went on listening and
// probing the writer. A followed stream is now registered with its session and ends with it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fakeSink, flush, memoryServices, NEW_SESSION, notification, startSessions } from '../../packages/mcp-session/test/helpers.ts'

test('deleting a session ends the connections that follow its streams on other nodes', async (t) => {
  const services = memoryServices()
  const a = await startSessions(t, {}, services)
  const b = await startSessions(t, {}, services)
  const onA = await a.create(NEW_SESSION)
  const stream = onA.openStream(1)
  await stream.send(notification(1, 'notifications/progress'))
  const onB = await b.get(onA.id)
  const sink = fakeSink()
  assert.strictEqual(await onB?.resume(`${stream.id}.0`, sink), 'followed')
  assert.strictEqual(sink.ended, false, 'A still writes the stream: B follows it')

  assert.strictEqual(await a.delete(onA.id), true)
  await flush()
  assert.strictEqual(sink.ended, true, 'the session was deleted: the connection following its stream on B ended')
})

test('a session that expires ends the connections following its streams', async (t) => {
  const services = memoryServices()
  const a = await startSessions(t, {}, services)
  const b = await startSessions(t, {}, services)
  const onA = await a.create(NEW_SESSION)
  const stream = onA.openStream(1)
  const onB = await b.get(onA.id)
  const sink = fakeSink()
  await onB?.resume(`${stream.id}.0`, sink)
  await services.store.delete(onA.id) // its record expired, as B finds at the next request
  assert.strictEqual(await b.get(onA.id), undefined)
  assert.strictEqual(sink.ended, true)
})
