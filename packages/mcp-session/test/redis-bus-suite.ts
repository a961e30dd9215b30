import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { RedisMessageBus, type RedisClient } from '../src/index.ts'
import type { RedisBackend, SharedRedis } from './redis-backends.ts'
import { sleep, tcpProxy, waitFor, withTimeout } from './redis-helpers.ts'

/** A bus on its own two connections, as a node has. */
async function busOf (fx: SharedRedis, prefix = fx.prefix): Promise<{ bus: RedisMessageBus, subscriber: RedisClient }> {
  const subscriber = await fx.connection()
  const bus = new RedisMessageBus(await fx.connection(), subscriber, prefix)
  fx.defer(() => bus.close())
  return { bus, subscriber }
}

/** Collects payloads. */
function collector (): { got: string[], listener: (payload: string) => void } {
  const got: string[] = []
  return { got, listener: (payload) => got.push(payload) }
}

export function redisBusSuite (backend: RedisBackend): void {
  const { name } = backend

  test(`RedisMessageBus on ${name}: what one node publishes, another node's listener gets, in order`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const { bus: nodeA } = await busOf(fx)
    const { bus: nodeB } = await busOf(fx)
    const onB = collector()
    const onA = collector()
    await nodeB.subscribe('topic', onB.listener)
    await nodeA.subscribe('topic', onA.listener)
    for (let i = 0; i < 20; i++) await nodeA.publish('topic', `m${i}`)
    await nodeB.publish('topic', 'from B')
    const expected = [...Array.from({ length: 20 }, (_, i) => `m${i}`), 'from B']
    await waitFor(() => onB.got.length >= 21 && onA.got.length >= 21, 2000, 'the messages on both nodes')
    await nodeA.publish('other-topic', 'not for them')
    await sleep(50)
    assert.deepStrictEqual(onB.got, expected)
    assert.deepStrictEqual(onA.got, expected, 'the publishing node hears its own messages too')
  })

  test(`RedisMessageBus on ${name}: several listeners on one topic each get every message, once`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const { bus: nodeA } = await busOf(fx)
    const { bus: nodeB, subscriber } = await busOf(fx)
    const first = collector()
    const second = collector()
    const third = collector()
    await nodeB.subscribe('topic', first.listener)
    await nodeB.subscribe('topic', second.listener)
    await nodeB.subscribe('topic', third.listener)
    assert.strictEqual(await fx.numsub(`${fx.prefix}topic`), 1, 'one Redis subscription per topic and node')
    assert.ok(subscriber.listenerCount('message') >= 1)
    await nodeA.publish('topic', 'one')
    await nodeA.publish('topic', 'two')
    await waitFor(() => first.got.length >= 2 && second.got.length >= 2 && third.got.length >= 2, 2000, 'every listener')
    await sleep(50)
    for (const { got } of [first, second, third]) assert.deepStrictEqual(got, ['one', 'two'])
  })

  test(`RedisMessageBus on ${name}: unsubscribe stops delivery to that listener only; the last one unsubscribes in Redis`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const { bus: nodeA } = await busOf(fx)
    const { bus: nodeB } = await busOf(fx)
    const kept = collector()
    const dropped = collector()
    const sentinel = collector()
    const stopKept = await nodeB.subscribe('topic', kept.listener)
    const stopDropped = await nodeB.subscribe('topic', dropped.listener)
    await nodeB.subscribe('sentinel', sentinel.listener)

    await nodeA.publish('topic', 'before')
    await waitFor(() => kept.got.length === 1 && dropped.got.length === 1, 2000, 'the first message')
    await stopDropped()
    await stopDropped() // twice is harmless
    await nodeA.publish('topic', 'after one left')
    // One channel, one subscriber connection: the listener left would have heard it at once too.
    await waitFor(() => kept.got.length === 2, 2000, 'the message after one left')
    assert.deepStrictEqual(dropped.got, ['before'], 'nothing after its unsubscribe')
    assert.deepStrictEqual(kept.got, ['before', 'after one left'])

    await stopKept()
    assert.strictEqual(await fx.numsub(`${fx.prefix}topic`), 0, 'no listener left: unsubscribed in Redis')
    await nodeA.publish('topic', 'after both left')
    await nodeA.publish('sentinel', 's2')
    // On a cluster two channels may go through two nodes, and their messages overtake each other:
    // the sentinel proves less there (the count of subscribers above is what holds).
    await waitFor(() => sentinel.got.length === 1, 2000, 'the sentinel')
    assert.deepStrictEqual(kept.got, ['before', 'after one left'])

    // And subscribing again works.
    const again = collector()
    await nodeB.subscribe('topic', again.listener)
    await nodeA.publish('topic', 'back')
    await waitFor(() => again.got.length === 1, 2000, 'the message after subscribing again')
    assert.deepStrictEqual(again.got, ['back'])
  })

  test(`RedisMessageBus on ${name}: topics are channels under the prefix; other prefixes are other buses`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const { bus } = await busOf(fx)
    const { bus: elsewhere } = await busOf(fx, `${fx.prefix}elsewhere:`)
    const mine = collector()
    const theirs = collector()
    await bus.subscribe('topic', mine.listener)
    await elsewhere.subscribe('topic', theirs.listener)

    // Listen to the raw channels with a plain client.
    const raw = await fx.connection()
    const rawGot: Array<[string, string]> = []
    raw.on('message', (channel: string, payload: string) => rawGot.push([channel, payload]))
    await raw.subscribe(`${fx.prefix}topic`, 'topic')

    // The bare channel is shared with every other run on this Redis (CI runs two Node versions
    // at once): only this test's message on it counts.
    const unprefixed = `unprefixed from ${fx.prefix}`
    const ours = (): string[] => rawGot.filter(([channel, payload]) => channel !== 'topic' || payload === unprefixed)
      .map((got) => got.join(' '))
    await bus.publish('topic', 'via bus')
    await fx.redis.publish('topic', unprefixed)
    await fx.redis.publish(`${fx.prefix}topic`, 'raw, prefixed')
    await waitFor(() => mine.got.length >= 2 && ours().length >= 3, 2000, 'the messages')
    await sleep(50)
    // Published on two channels from two connections: in no particular order (on a cluster).
    assert.deepStrictEqual(ours().sort(), [`${fx.prefix}topic raw, prefixed`, `${fx.prefix}topic via bus`, `topic ${unprefixed}`],
      'the bus publishes on <prefix><topic>')
    assert.deepStrictEqual([...mine.got].sort(), ['raw, prefixed', 'via bus'], 'and listens on <prefix><topic> only')
    assert.deepStrictEqual(theirs.got, [], 'a bus with another prefix hears none of it')
  })

  // MessageBus.subscribe: "Resolves once messages on `topic` will be delivered". A second listener
  // on a topic whose Redis SUBSCRIBE is still on its way must not be told it is subscribed before
  // Redis is. The subscriber connection goes through a link with 100 ms of latency (a busy
  // network), so its SUBSCRIBE reaches Redis after a PUBLISH sent on the direct connection.
  test(`RedisMessageBus on ${name}: a second subscribe to a topic still being subscribed resolves only once delivery works`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    // A proxy in front of one Redis (a cluster's nodes would redirect around it).
    if (fx.single === undefined) return t.skip('a single Redis only')
    const { bus: nodeA } = await busOf(fx)
    const slowLink = await tcpProxy(t, fx.single.url, { latencyMs: 100 })
    const subscriber = new Redis(slowLink.url)
    subscriber.on('error', () => {})
    fx.defer(() => subscriber.disconnect())
    await withTimeout(new Promise((resolve) => subscriber.once('ready', resolve)), 2000, 'the slow subscriber connection')
    const nodeB = new RedisMessageBus(await fx.connection(), subscriber, fx.prefix)
    fx.defer(() => nodeB.close())

    const first = collector()
    const second = collector()
    const firstSubscribed = nodeB.subscribe('topic', first.listener)
    await nodeB.subscribe('topic', second.listener)
    await nodeA.publish('topic', 'right after subscribe resolved')
    await withTimeout(firstSubscribed, 2000, 'the first subscribe')
    await waitFor(() => second.got.length === 1, 1000, 'the message published once the second subscribe resolved')
      .catch(() => {})
    assert.deepStrictEqual(second.got, ['right after subscribe resolved'],
      'subscribe resolved before the subscription was made in Redis: the message was lost')

    // The same subscriber, on a topic nobody subscribed yet, is fine: the first subscribe waits.
    const alone = collector()
    await nodeB.subscribe('alone', alone.listener)
    await nodeA.publish('alone', 'ok')
    await waitFor(() => alone.got.length === 1, 2000, 'the message on a freshly subscribed topic')
  })

  test(`RedisMessageBus on ${name}: close stops delivery`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const { bus: nodeA } = await busOf(fx)
    const { bus: nodeB } = await busOf(fx)
    const got = collector()
    const sentinel = collector()
    await nodeB.subscribe('topic', got.listener)
    await nodeA.subscribe('sentinel', sentinel.listener)
    await nodeB.close()
    await nodeA.publish('topic', 'after close')
    await nodeA.publish('sentinel', 'done')
    await waitFor(() => sentinel.got.length === 1, 2000, 'the sentinel')
    await sleep(50)
    assert.deepStrictEqual(got.got, [])
  })
}
