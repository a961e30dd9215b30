import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { ErrorCode, type JSONRPCMessage, type RequestId } from '@mcp-fastify/mcp-protocol'
import { follow, MemoryEventLog, streamTopic, type StreamServices } from '../src/index.ts'
import { postStreamId, requestIdOf, writerOf } from '../src/stream-id.ts'
import { fakeSink, flush, notification, streamServices } from './helpers.ts'

const SESSION = 'session-1'
/** The node the followed streams are written on (this node is `node0000`). */
const WRITER = 'writer01'

test('stream ids: name their writer and carry the request id when it fits the event-id grammar', () => {
  const fitting: RequestId[] = [0, 7, -1, 42, Number.MAX_SAFE_INTEGER, 'abc', '', 'b2f1c0de-7a1e-4c3b-9d2a-6e8f00112233',
    'with space', 'ünï', 1.5, 1e21, '"quoted"']
  for (const id of fitting) {
    const streamId = postStreamId(WRITER, id)
    assert.match(streamId, /^[A-Za-z0-9_-]{1,64}$/, JSON.stringify(id))
    assert.strictEqual(writerOf(streamId), WRITER)
    assert.strictEqual(requestIdOf(streamId), id, JSON.stringify(id))
  }
  for (const id of ['x'.repeat(44), 'long id with spaces, more than thirty characters', undefined]) {
    const streamId = postStreamId(WRITER, id)
    assert.strictEqual(streamId.length, 20, 'node and random part only')
    assert.strictEqual(requestIdOf(streamId), undefined)
  }
  assert.notStrictEqual(postStreamId(WRITER, 1), postStreamId(WRITER, 1), 'unique per stream')
  // Streams of an earlier version (node and random part only), the standalone stream, garbage.
  for (const streamId of ['writer01abcdefghijkl', 'get', 'writer01abcdefghijklnx', 'writer01abcdefghijkljAAAA']) {
    assert.strictEqual(requestIdOf(streamId), undefined, streamId)
  }
})

/** Services of this node, whose probes the writer answers with `writer` (or never, `undefined`). */
function services (log = new MemoryEventLog(), writer: () => boolean | undefined = () => undefined): StreamServices & { probes: number } {
  const base = streamServices(log)
  const result = {
    ...base,
    probes: 0,
    async probe (sessionId: string, streamId: string): Promise<void> {
      result.probes++
      const alive = writer()
      if (alive !== undefined) await base.bus.publish(streamTopic(sessionId, streamId), JSON.stringify({ alive }))
    }
  }
  return result
}

/** A stream written on WRITER for request `id`, with `count` progress events logged. */
async function written (log: MemoryEventLog, id: RequestId | undefined, count: number): Promise<string> {
  const streamId = postStreamId(WRITER, id)
  for (let n = 1; n <= count; n++) await log.append(SESSION, streamId, notification(n, 'notifications/progress'))
  return streamId
}

function useTimers (t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout'] })
}

async function tick (t: TestContext, ms: number): Promise<void> {
  await flush()
  t.mock.timers.tick(ms)
  await flush()
}

function gone (id: RequestId | undefined): JSONRPCMessage {
  const error = { code: ErrorCode.NodeGone, message: 'The server node answering this request went away before it answered; the request may be retried' }
  return id === undefined ? { jsonrpc: '2.0', error } : { jsonrpc: '2.0', id, error }
}

test('follow: a writer that does not answer the probe went away: the request is answered with NodeGone, logged as the last event', async (t) => {
  useTimers(t)
  const log = new MemoryEventLog()
  const streamId = await written(log, 7, 2)
  const sink = fakeSink()
  const following = follow(services(log), SESSION, streamId, `${streamId}.0`, sink)
  await flush()
  assert.deepStrictEqual(sink.ids, [`${streamId}.1`, `${streamId}.2`], 'the replay first')
  assert.strictEqual(sink.ended, false, 'the writer has until the probe times out')
  await tick(t, 2000)
  assert.strictEqual(await following, 2)
  assert.deepStrictEqual(sink.writes.at(-1), { id: `${streamId}.3`, message: gone(7) })
  assert.deepStrictEqual(sink.ends, [undefined])
  const logged = await log.replay(SESSION, { streamId, seq: 2 })
  assert.deepStrictEqual(logged, [{ id: `${streamId}.3`, message: gone(7), final: true }])
})

test('follow: two nodes following the same dead writer answer once, with the same event', async (t) => {
  useTimers(t)
  const log = new MemoryEventLog()
  const streamId = await written(log, 'req-1', 1)
  const sinks = [fakeSink(), fakeSink()]
  const both = Promise.all(sinks.map((sink) => follow(services(log), SESSION, streamId, `${streamId}.1`, sink)))
  await tick(t, 2000)
  await both
  for (const sink of sinks) {
    assert.deepStrictEqual(sink.writes, [{ id: `${streamId}.2`, message: gone('req-1') }])
    assert.strictEqual(sink.ended, true)
  }
  assert.strictEqual((await log.replay(SESSION, { streamId, seq: 0 }))?.length, 2, 'logged once')
  // A later resume replays the answer and ends at once, without probing.
  const later = fakeSink()
  const probing = services(log)
  await follow(probing, SESSION, streamId, `${streamId}.1`, later)
  assert.deepStrictEqual(later.writes, [{ id: `${streamId}.2`, message: gone('req-1') }])
  assert.strictEqual(later.ended, true)
})

test('follow: a stream whose id carries no request id (a batch, an older node) is answered without an id', async (t) => {
  useTimers(t)
  const log = new MemoryEventLog()
  const streamId = await written(log, undefined, 1)
  const sink = fakeSink()
  const following = follow(services(log), SESSION, streamId, `${streamId}.1`, sink)
  await tick(t, 2000)
  await following
  assert.deepStrictEqual(sink.writes, [{ id: `${streamId}.2`, message: gone(undefined) }])
})

test('follow: a writer that says it no longer writes the stream (it ended without an answer) ends it, with nothing added', async (t) => {
  const log = new MemoryEventLog()
  const streamId = await written(log, 7, 1)
  const sink = fakeSink()
  await follow(services(log, () => false), SESSION, streamId, `${streamId}.0`, sink)
  assert.deepStrictEqual(sink.ids, [`${streamId}.1`])
  assert.strictEqual(sink.ended, true)
  assert.strictEqual((await log.replay(SESSION, { streamId, seq: 0 }))?.length, 1)
})

test('follow: a writer that answers, then dies, is noticed at the next probe, and the request answered', async (t) => {
  useTimers(t)
  const log = new MemoryEventLog()
  const streamId = await written(log, 3, 1)
  let alive: boolean | undefined = true
  const probing = services(log, () => alive)
  const sink = fakeSink()
  await follow(probing, SESSION, streamId, `${streamId}.1`, sink)
  assert.strictEqual(sink.ended, false, 'the writer writes it: followed')
  await tick(t, 9_999)
  assert.strictEqual(probing.probes, 1)
  await tick(t, 1)
  assert.strictEqual(probing.probes, 2, 'asked again')
  assert.strictEqual(sink.ended, false)
  alive = undefined // killed
  await tick(t, 10_000)
  assert.strictEqual(probing.probes, 3)
  await tick(t, 2000)
  assert.deepStrictEqual(sink.writes, [{ id: `${streamId}.2`, message: gone(3) }])
  assert.strictEqual(sink.ended, true)
})

test('follow: the writer finishing while it is followed: its answer, no NodeGone, no probe left running', async (t) => {
  useTimers(t)
  const log = new MemoryEventLog()
  const streamId = await written(log, 3, 1)
  const probing = services(log, () => true)
  const sink = fakeSink()
  await follow(probing, SESSION, streamId, `${streamId}.1`, sink)
  const result: JSONRPCMessage = { jsonrpc: '2.0', id: 3, result: { content: [] } }
  const id = await log.append(SESSION, streamId, result, { final: true })
  await probing.bus.publish(streamTopic(SESSION, streamId), JSON.stringify({ id, message: result, final: true }))
  assert.deepStrictEqual(sink.writes, [{ id: `${streamId}.2`, message: result }])
  assert.strictEqual(sink.ended, true)
  await tick(t, 30_000)
  assert.strictEqual(probing.probes, 1, 'not asked again once the stream ended')
})

test('follow: the client leaving stops the probes', async (t) => {
  useTimers(t)
  const log = new MemoryEventLog()
  const streamId = await written(log, 3, 1)
  const probing = services(log, () => true)
  const sink = fakeSink()
  await follow(probing, SESSION, streamId, `${streamId}.1`, sink)
  sink.close()
  await tick(t, 30_000)
  assert.strictEqual(probing.probes, 1)
  assert.strictEqual((await log.replay(SESSION, { streamId, seq: 1 }))?.length, 0, 'nothing logged')
})

test('follow: when the log is out of reach the request is not answered here: the stream ends, for a later resume to answer', async (t) => {
  useTimers(t)
  const log = new DownLog()
  const streamId = await written(log, 3, 1)
  log.down = true
  const sink = fakeSink()
  const probing = services(log)
  const following = follow(probing, SESSION, streamId, `${streamId}.1`, sink)
  await tick(t, 2000)
  await following
  assert.deepStrictEqual(sink.writes, [])
  assert.strictEqual(sink.ended, true)
})

/** A log whose appends fail once `down` (Redis away); what it holds still reads back. */
class DownLog extends MemoryEventLog {
  down = false

  override async append (...args: Parameters<MemoryEventLog['append']>): Promise<string | undefined> {
    if (this.down) throw new Error('log down')
    return super.append(...args)
  }
}
