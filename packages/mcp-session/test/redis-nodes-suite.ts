import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { JSONRPCMessage } from '@mcp-fastify/mcp-protocol'
import Fastify from 'fastify'
import mcpSession, {
  McpSessions, RedisEventLog, RedisMessageBus, RedisSessionStore, type McpSessionOptions, type MessageBus
} from '../src/index.ts'
import { fakeSink, NEW_SESSION, notification } from './helpers.ts'
import type { RedisBackend, SharedRedis } from './redis-backends.ts'
import { sleep, waitFor, withTimeout } from './redis-helpers.ts'

export function redisNodesSuite (backend: RedisBackend): void {
  const { name } = backend

  /** A node: an app with mcp-session on the test's Redis and prefix. */
  async function node (fx: SharedRedis, options: McpSessionOptions = {}): Promise<McpSessions> {
    const app = Fastify()
    fx.defer(() => app.close())
    await app.register(mcpSession, { redis: fx.option, keyPrefix: fx.prefix, ...options })
    await app.ready()
    return app.mcpSessions
  }

  /** Two nodes sharing one Redis. */
  async function twoNodes (fx: SharedRedis, options: McpSessionOptions = {}): Promise<[McpSessions, McpSessions]> {
    return [await node(fx, options), await node(fx, options)]
  }

  /** Waits long enough for a duplicate (or a late message) to show up, when nothing more is expected. */
  const SETTLE_MS = 150

  function messagesOf (sink: ReturnType<typeof fakeSink>): JSONRPCMessage[] {
    return sink.writes.map((write) => write.message)
  }

  test(`nodes on ${name}: the redis option puts the store, event log and bus in Redis, under keyPrefix`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const a = await node(fx)
    assert.ok(a.store instanceof RedisSessionStore)
    assert.ok(a.eventLog instanceof RedisEventLog)
    assert.ok(a.bus instanceof RedisMessageBus)
    const session = await a.create(NEW_SESSION)
    await session.openStandalone().send(notification(1))
    const keys = await fx.keys()
    assert.ok(keys.length >= 3, `record, index and log are in Redis under the prefix: ${keys.join(', ')}`)
    assert.ok((await fx.channels(`${fx.prefix}*`)).length >= 1, 'the node listens on channels under the prefix')
  })

  test(`nodes on ${name}: the app's own client (ioredis ${name === 'Redis' ? 'Redis' : 'Cluster'}) is duplicated, and left open when the app closes`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const appsClient = await fx.connection()
    const a = await node(fx, { redis: appsClient })
    const b = await node(fx)
    const session = await a.create(NEW_SESSION)
    assert.strictEqual((await b.get(session.id))?.id, session.id, 'the other node (configured otherwise) finds it')
    const app = Fastify()
    await app.register(mcpSession, { redis: appsClient, keyPrefix: fx.prefix })
    await app.ready()
    await app.close()
    assert.strictEqual(appsClient.status, 'ready', 'the app\'s client was not closed')
    assert.strictEqual(await appsClient.ping(), 'PONG')
  })

  test(`nodes on ${name}: a session created on A is found on B, with the same record`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const [a, b] = await twoNodes(fx)
    const onA = await a.create({ ...NEW_SESSION, principal: 'alice' })
    assert.strictEqual(b.size, 0)
    const onB = await b.get(onA.id)
    assert.ok(onB !== undefined, 'B finds the session A created')
    assert.notStrictEqual(onB, onA)
    assert.strictEqual(b.size, 1, 'B now holds it')
    assert.strictEqual(onB.id, onA.id)
    assert.strictEqual(onB.protocolVersion, '2025-11-25')
    assert.deepStrictEqual(onB.clientCapabilities, { roots: { listChanged: true } })
    assert.deepStrictEqual(onB.clientInfo, { name: 'test-client', version: '1.0.0' })
    assert.strictEqual(onB.logLevel, undefined)
    assert.strictEqual(onB.principal, 'alice')
    assert.strictEqual(onB.createdAt, onA.createdAt)
    assert.deepStrictEqual(await b.store.get(onA.id), await a.store.get(onA.id))
    assert.strictEqual(await b.get(onA.id), onB, 'then B serves it from what it holds')
    assert.strictEqual(await b.get('unknown'), undefined)
  })

  test(`nodes on ${name}: setLogLevel and subscribe on A are seen by B when it takes the session up`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const [a, b] = await twoNodes(fx)
    const onA = await a.create(NEW_SESSION)
    await onA.setLogLevel('warning')
    await onA.subscribe('file:///watched')
    const onB = await b.get(onA.id)
    assert.strictEqual(onB?.logLevel, 'warning')
    assert.strictEqual(onB.isSubscribed('file:///watched'), true)
  })

  // A client behind a round-robin balancer: a request on B, then logging/setLevel on A, then a
  // request on B again. B holds the session since the first request; it must not go on with the
  // log level (and subscriptions) it read then.
  test(`nodes on ${name}: setLogLevel and subscribe on A are seen by B after get, even when B already held the session`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const [a, b] = await twoNodes(fx)
    const onA = await a.create(NEW_SESSION)
    const held = await b.get(onA.id)
    assert.strictEqual(held?.logLevel, undefined)
    await onA.setLogLevel('error')
    await onA.subscribe('file:///watched')
    const onB = await b.get(onA.id)
    assert.strictEqual(onB?.logLevel, 'error', 'B serves the log level A set')
    assert.strictEqual(onB.isSubscribed('file:///watched'), true, 'B knows the subscription made on A')
  })

  // What the stale copy costs: the client's GET stream is on B, it subscribes to a resource
  // through A, the resource changes. Only B has the standalone stream, so only B can deliver.
  test(`nodes on ${name}: resources/updated reaches the GET stream on B for a subscription made on A`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const [a, b] = await twoNodes(fx)
    const onA = await a.create(NEW_SESSION)
    const onB = await b.get(onA.id)
    assert.ok(onB !== undefined)
    const sink = fakeSink()
    await onB.openStandalone().attach(sink)
    await onA.subscribe('file:///watched')
    const updated = notification('changed', 'notifications/resources/updated')
    a.broadcast(updated, 'file:///watched')
    await waitFor(() => sink.writes.length >= 1, 1000, 'the resources/updated notification on B').catch(() => {})
    await sleep(SETTLE_MS)
    assert.deepStrictEqual(messagesOf(sink), [updated])
  })

  test(`nodes on ${name}: delete on A ends the copy B holds: its onEnd fires and its connections end`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const [a, b] = await twoNodes(fx)
    const onA = await a.create(NEW_SESSION)
    const onB = await b.get(onA.id)
    assert.ok(onB !== undefined)
    const sink = fakeSink()
    await onB.openStandalone().attach(sink)
    const endedOnB: string[] = []
    const endedOnA: string[] = []
    b.onEnd((id) => endedOnB.push(id))
    a.onEnd((id) => endedOnA.push(id))

    assert.strictEqual(await a.delete(onA.id), true)
    assert.deepStrictEqual(endedOnA, [onA.id])
    await waitFor(() => endedOnB.length > 0, 2000, 'B to end its copy')
    assert.deepStrictEqual(endedOnB, [onA.id])
    assert.strictEqual(b.size, 0)
    assert.strictEqual(sink.ended, true, 'B\'s connection of the session ended')
    assert.strictEqual(await b.get(onA.id), undefined)
    assert.strictEqual(await a.get(onA.id), undefined)
    assert.strictEqual(await b.delete(onA.id), false, 'nothing left to delete')
    await sleep(SETTLE_MS)
    assert.deepStrictEqual(endedOnB, [onA.id], 'ended once')
  })

  test(`nodes on ${name}: a broadcast on A reaches the connected standalone stream on B exactly once`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const [a, b] = await twoNodes(fx)
    const onA = await a.create(NEW_SESSION)
    const onB = await b.get(onA.id)
    assert.ok(onB !== undefined)
    const sink = fakeSink()
    await onB.openStandalone().attach(sink)

    a.broadcast(notification('one', 'notifications/tools/list_changed'))
    await waitFor(() => sink.writes.length >= 1, 2000, 'the broadcast on B')
    await sleep(SETTLE_MS)
    assert.deepStrictEqual(messagesOf(sink), [notification('one', 'notifications/tools/list_changed')])
    assert.deepStrictEqual(sink.ids, ['get.1'])

    // A has the standalone stream too (not connected): both nodes deliver each broadcast, the log
    // keeps it once, and the client gets it once.
    onA.openStandalone()
    const sent = Array.from({ length: 10 }, (_, i) => notification(`burst ${i}`, 'notifications/tools/list_changed'))
    for (const message of sent) a.broadcast(message)
    b.broadcast(notification('from B', 'notifications/tools/list_changed'))
    await waitFor(() => sink.writes.length >= 12, 3000, 'every broadcast on B')
    await sleep(SETTLE_MS)
    assert.strictEqual(sink.writes.length, 12, `each once: ${JSON.stringify(sink.ids)}`)
    const received = messagesOf(sink).map((message) => JSON.stringify(message)).sort()
    const expected = [notification('one', 'notifications/tools/list_changed'), ...sent, notification('from B', 'notifications/tools/list_changed')]
      .map((message) => JSON.stringify(message)).sort()
    assert.deepStrictEqual(received, expected)
    assert.deepStrictEqual(new Set(sink.ids).size, 12, 'distinct event ids')
    const logged = await b.eventLog.replay(onA.id, { streamId: 'get', seq: 0 })
    assert.strictEqual(logged?.length, 12, 'logged once each')
    assert.strictEqual(sink.ended, false)
  })

  test(`nodes on ${name}: a POST stream written on A, followed on B: missed events, live ones, the final one, nothing twice`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const [a, b] = await twoNodes(fx)
    const onA = await a.create(NEW_SESSION)
    const stream = onA.openStream()
    for (const n of [1, 2, 3]) await stream.send(notification(n, 'notifications/progress'))
    assert.strictEqual(stream.lastEventId, `${stream.id}.3`)

    const onB = await b.get(onA.id)
    assert.ok(onB !== undefined)
    const sink = fakeSink()
    const outcome = onB.resume(`${stream.id}.1`, sink)
    // While B replays, A goes on.
    await stream.send(notification(4, 'notifications/progress'))
    assert.strictEqual(await withTimeout(outcome, 3000, 'resume on B'), 'followed')
    assert.strictEqual(sink.ended, false, 'A still writes the stream: B follows it')
    await stream.send(notification(5, 'notifications/progress'))
    const response: JSONRPCMessage = { jsonrpc: '2.0', id: 1, result: { content: [] } }
    await stream.complete(response)

    await waitFor(() => sink.ended, 2000, 'the followed stream to end after its final event')
    await sleep(SETTLE_MS)
    assert.deepStrictEqual(sink.ids, [2, 3, 4, 5, 6].map((n) => `${stream.id}.${n}`))
    assert.deepStrictEqual(messagesOf(sink), [
      ...[2, 3, 4, 5].map((n) => notification(n, 'notifications/progress')),
      response
    ])
    assert.deepStrictEqual(sink.ends.length, 1, 'ended once')
    assert.strictEqual(sink.timeline.at(-1), 'end:undefined', 'nothing after the end')
  })

  test(`nodes on ${name}: following on B a POST stream A already completed replays it to the end and ends`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const [a, b] = await twoNodes(fx)
    const onA = await a.create(NEW_SESSION)
    const stream = onA.openStream()
    await stream.send(notification(1, 'notifications/progress'))
    const response: JSONRPCMessage = { jsonrpc: '2.0', id: 1, result: { content: [] } }
    await stream.complete(response)
    const onB = await b.get(onA.id)
    assert.ok(onB !== undefined)
    const sink = fakeSink()
    const started = Date.now()
    assert.strictEqual(await withTimeout(onB.resume(`${stream.id}.0`, sink), 3000, 'resume on B'), 'followed')
    assert.deepStrictEqual(sink.ids, [`${stream.id}.1`, `${stream.id}.2`])
    assert.deepStrictEqual(messagesOf(sink).at(-1), response)
    assert.strictEqual(sink.ended, true)
    assert.ok(Date.now() - started < 1500, 'ends on the final event, without waiting out the probe')
  })

  /**
   * A node's bus on Redis (its own two connections) with what the network may do to it: publishes
   * that reach Redis late, or something that happens while a SUBSCRIBE is on its way.
   */
  async function instrumentedBus (fx: SharedRedis, { publishDelayMs = 0, whileSubscribing }: {
    publishDelayMs?: number
    whileSubscribing?: (topic: string) => Promise<void>
  }): Promise<MessageBus> {
    const inner = new RedisMessageBus(await fx.connection(), await fx.connection(), fx.prefix)
    const inFlight = new Set<Promise<void>>()
    fx.defer(async () => {
      await Promise.all(inFlight)
      await inner.close()
    })
    return {
      async publish (topic, payload) {
        if (publishDelayMs === 0) return inner.publish(topic, payload)
        const late = sleep(publishDelayMs).then(() => inner.publish(topic, payload)).catch(() => {})
        inFlight.add(late)
        late.finally(() => inFlight.delete(late)).catch(() => {})
      },
      async subscribe (topic, listener) {
        await whileSubscribing?.(topic)
        return inner.subscribe(topic, listener)
      },
      close: () => inner.close()
    }
  }

  // Whatever B reads from the log must not come again from the bus, whatever the order in which
  // the two reach B: here A's publishes reach Redis 50 ms after its appends (a congested link),
  // so B's replay finds events whose live copies are still on their way.
  test(`nodes on ${name}: following a POST stream whose publishes arrive after B replayed them: nothing twice`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const a = await node(fx, { bus: await instrumentedBus(fx, { publishDelayMs: 50 }) })
    const b = await node(fx)
    const onA = await a.create(NEW_SESSION)
    const stream = onA.openStream()
    for (const n of [1, 2, 3]) await stream.send(notification(n, 'notifications/progress'))
    const onB = await b.get(onA.id)
    assert.ok(onB !== undefined)
    const sink = fakeSink()
    assert.strictEqual(await withTimeout(onB.resume(`${stream.id}.0`, sink), 3000, 'resume on B'), 'followed')
    await stream.complete({ jsonrpc: '2.0', id: 1, result: { content: [] } })
    await waitFor(() => sink.ended, 2000, 'the followed stream to end')
    await sleep(SETTLE_MS)
    assert.deepStrictEqual(sink.ids, [1, 2, 3, 4].map((n) => `${stream.id}.${n}`))
  })

  // A client resumes the standalone stream on B (GET with Last-Event-ID) while A sends on it: A
  // holds no connection of it, so it publishes what it sends. What A sends while B is subscribing
  // (after B read the log, before Redis has B's subscription) must not be lost.
  test(`nodes on ${name}: resuming the standalone stream on B while A sends on it: nothing lost`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    let sendDuringSubscribe: (() => Promise<void>) | undefined
    const b = await node(fx, {
      bus: await instrumentedBus(fx, {
        whileSubscribing: async (topic) => {
          if (!topic.endsWith(':get')) return
          const send = sendDuringSubscribe
          sendDuringSubscribe = undefined
          await send?.()
        }
      })
    })
    const a = await node(fx)
    const onA = await a.create(NEW_SESSION)
    const standaloneOnA = onA.openStandalone()
    for (const n of [1, 2, 3]) await standaloneOnA.send(notification(n))
    const onB = await b.get(onA.id)
    assert.ok(onB !== undefined)
    sendDuringSubscribe = () => standaloneOnA.send(notification(4))
    const sink = fakeSink()
    assert.strictEqual(await withTimeout(onB.resume('get.1', sink), 3000, 'resume on B'), 'resumed')
    assert.strictEqual(sendDuringSubscribe, undefined, 'A sent while B subscribed')
    await standaloneOnA.send(notification(5))
    await waitFor(() => sink.ids.includes('get.5'), 2000, 'the event sent after the resume')
    await sleep(SETTLE_MS)
    assert.deepStrictEqual(sink.ids, ['get.2', 'get.3', 'get.4', 'get.5'])
  })
}
