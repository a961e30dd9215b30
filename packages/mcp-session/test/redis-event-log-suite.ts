import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseEventId, RedisEventLog, type DroppedEvent, type RedisClient } from '../src/index.ts'
import { notification } from './helpers.ts'
import type { RedisBackend } from './redis-backends.ts'
import { waitFor } from './redis-helpers.ts'

const LIMITS = { maxEvents: 1000, maxAgeMs: 60_000 }

async function lastEntry (redis: RedisClient, key: string): Promise<string> {
  const [[id]] = await redis.xrevrange(key, '+', '-', 'COUNT', 1) as [[string, string[]]]
  return id
}

export function redisEventLogSuite (backend: RedisBackend): void {
  const { name } = backend
  test(`RedisEventLog on ${name}: ids count from 1 within each stream, each stream and session on its own`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const log = new RedisEventLog(fx.redis, { ...LIMITS, prefix: fx.prefix })
    assert.strictEqual(await log.append('s1', 'get', notification(1)), 'get.1')
    assert.strictEqual(await log.append('s1', 'get', notification(2)), 'get.2')
    assert.strictEqual(await log.append('s1', 'abc', notification(3)), 'abc.1')
    assert.strictEqual(await log.append('s1', 'get', notification(4)), 'get.3')
    assert.strictEqual(await log.append('s1', 'abc', notification(5)), 'abc.2')
    assert.strictEqual(await log.append('s2', 'get', notification(6)), 'get.1', 'each session counts on its own')
    const other = new RedisEventLog(fx.redis, { ...LIMITS, prefix: `${fx.prefix}other:` })
    assert.strictEqual(await other.append('s1', 'get', notification(7)), 'get.1', 'another prefix is another log')
    for (const key of await fx.keys()) assert.ok(key.startsWith(fx.prefix), key)
  })

  test(`RedisEventLog on ${name}: concurrent appends from two nodes to one stream get unique, consecutive ids`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const nodeA = new RedisEventLog(fx.redis, { ...LIMITS, prefix: fx.prefix })
    const nodeB = new RedisEventLog(await fx.connection(), { ...LIMITS, prefix: fx.prefix })
    const appends: Array<Promise<string | undefined>> = []
    for (let i = 0; i < 100; i++) {
      appends.push(nodeA.append('s1', 'str', notification(`a${i}`)))
      appends.push(nodeB.append('s1', 'str', notification(`b${i}`)))
    }
    const ids = await Promise.all(appends)
    const seqs = ids.map((id) => {
      const parsed = parseEventId(id ?? '')
      assert.ok(parsed !== undefined && parsed.streamId === 'str', `bad id ${id}`)
      return parsed.seq
    }).sort((x, y) => x - y)
    assert.deepStrictEqual(seqs, Array.from({ length: 200 }, (_, i) => i + 1), 'seqs 1..200, each once')

    // The log holds them in id order, each with the message its append was given.
    const replayed = await nodeB.replay('s1', { streamId: 'str', seq: 0 }) ?? []
    assert.deepStrictEqual(replayed.map((event) => event.id), Array.from({ length: 200 }, (_, i) => `str.${i + 1}`))
    const byId = new Map(replayed.map((event) => [event.id, event.message]))
    for (let i = 0; i < 100; i++) {
      assert.deepStrictEqual(byId.get(ids[2 * i]!), notification(`a${i}`))
      assert.deepStrictEqual(byId.get(ids[2 * i + 1]!), notification(`b${i}`))
    }
  })

  test(`RedisEventLog on ${name}: replay gives the later events of that stream only, in order, final kept`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const log = new RedisEventLog(fx.redis, { ...LIMITS, prefix: fx.prefix })
    await log.append('s1', 'get', notification('g1'))
    await log.append('s1', 'abc', notification('a1'))
    await log.append('s1', 'get', notification('g2'))
    await log.append('s2', 'get', notification('other session'))
    await log.append('s1', 'get', notification('g3'))
    const response = { jsonrpc: '2.0' as const, id: 7, result: { content: [] } }
    await log.append('s1', 'abc', response, { final: true })

    assert.deepStrictEqual(await log.replay('s1', { streamId: 'get', seq: 0 }), [
      { id: 'get.1', message: notification('g1') },
      { id: 'get.2', message: notification('g2') },
      { id: 'get.3', message: notification('g3') }
    ])
    assert.deepStrictEqual(await log.replay('s1', { streamId: 'get', seq: 1 }), [
      { id: 'get.2', message: notification('g2') },
      { id: 'get.3', message: notification('g3') }
    ])
    assert.deepStrictEqual(await log.replay('s1', { streamId: 'abc', seq: 0 }), [
      { id: 'abc.1', message: notification('a1') },
      { id: 'abc.2', message: response, final: true }
    ])
    assert.deepStrictEqual(await log.replay('s1', { streamId: 'abc', seq: 1 }), [{ id: 'abc.2', message: response, final: true }])
    const notFinal = await log.replay('s1', { streamId: 'abc', seq: 0 })
    assert.strictEqual('final' in notFinal![0]!, false, 'only the final event says final')
    assert.deepStrictEqual(await log.replay('s1', { streamId: 'get', seq: 3 }), [], 'nothing after the last event')
    assert.deepStrictEqual(await log.replay('s1', { streamId: 'get', seq: 9 }), [], 'nor after an id past it')
    assert.deepStrictEqual(await log.replay('s1', { streamId: 'zzz', seq: 0 }), [], 'unknown stream')
    assert.deepStrictEqual(await log.replay('nope', { streamId: 'get', seq: 0 }), [], 'unknown session')
    assert.strictEqual(await log.replay('nope', { streamId: 'get', seq: 2 }), undefined, 'events of a stream it does not know are gone')
    assert.deepStrictEqual(await log.replay('s2', { streamId: 'get', seq: 0 }), [{ id: 'get.1', message: notification('other session') }])
  })

  test(`RedisEventLog on ${name}: maxEvents trims each session's log (within Redis' approximate MAXLEN), the latest kept`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const log = new RedisEventLog(fx.redis, { maxEvents: 10, maxAgeMs: 60_000, prefix: fx.prefix })
    const pipeline: Array<Promise<string | undefined>> = []
    for (let i = 1; i <= 500; i++) pipeline.push(log.append('s1', 'str', notification(i)))
    await Promise.all(pipeline)
    await log.append('s2', 'str', notification('other'))

    // `MAXLEN ~ 10` trims whole macro nodes (stream-node-max-entries, 100 by default).
    const length = await fx.redis.xlen(`${fx.prefix}e:{s1}`)
    assert.ok(length >= 10 && length <= 110, `XLEN ${length} is within MAXLEN ~ 10`)
    assert.strictEqual(await log.replay('s1', { streamId: 'str', seq: 0 }), undefined, 'a replay from the start would skip the trimmed events')
    assert.strictEqual(await log.replay('s1', { streamId: 'str', seq: 499 - length }), undefined, 'so would one from just before the oldest kept')
    const events = await log.replay('s1', { streamId: 'str', seq: 500 - length }) ?? []
    assert.strictEqual(events.length, length)
    assert.deepStrictEqual(events.at(-1), { id: 'str.500', message: notification(500) }, 'the latest is kept')
    assert.deepStrictEqual(events.map((event) => event.id), Array.from({ length }, (_, i) => `str.${501 - length + i}`),
      'the newest events, contiguous, in order')
    assert.strictEqual(await log.append('s1', 'str', notification(501)), 'str.501', 'numbering goes on past trimming')
    assert.deepStrictEqual(await log.replay('s2', { streamId: 'str', seq: 0 }), [{ id: 'str.1', message: notification('other') }],
      'another session is trimmed on its own')
  })

  test(`RedisEventLog on ${name}: maxAgeMs is the log's expiry; the counters outlive it, so ids never restart`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const log = new RedisEventLog(fx.redis, { maxEvents: 1000, maxAgeMs: 30_000, prefix: fx.prefix })
    await log.append('s1', 'str', notification(1))
    const pttl = await fx.redis.pttl(`${fx.prefix}e:{s1}`)
    assert.ok(pttl > 25_000 && pttl <= 30_000, `PTTL of the log ${pttl} is about maxAgeMs`)
    const counters = await fx.redis.pttl(`${fx.prefix}q:{s1}`)
    assert.ok(counters > 30_000, `PTTL of the counters ${counters} is past maxAgeMs`)

    const brief = new RedisEventLog(fx.redis, { maxEvents: 1000, maxAgeMs: 150, prefix: fx.prefix })
    assert.strictEqual(await brief.append('s2', 'str', notification('old')), 'str.1')
    await waitFor(async () => await fx.redis.exists(`${fx.prefix}e:{s2}`) === 0, 2000, 'the log to expire')
    assert.strictEqual(await brief.replay('s2', { streamId: 'str', seq: 0 }), undefined, 'events older than maxAgeMs are gone: no replay')
    assert.deepStrictEqual(await brief.replay('s2', { streamId: 'str', seq: 1 }), [], 'nothing was missed after the last')
    assert.strictEqual(await brief.append('s2', 'str', notification('new')), 'str.2', 'numbering goes on')
    assert.deepStrictEqual(await brief.replay('s2', { streamId: 'str', seq: 1 }), [{ id: 'str.2', message: notification('new') }])
  })

  test(`RedisEventLog on ${name}: a dedupe key already used (by any node) stores nothing and gives undefined`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const nodeA = new RedisEventLog(fx.redis, { ...LIMITS, prefix: fx.prefix })
    const nodeB = new RedisEventLog(await fx.connection(), { ...LIMITS, prefix: fx.prefix })
    assert.strictEqual(await nodeA.append('s1', 'get', notification('n'), { dedupe: 'k1' }), 'get.1')
    assert.strictEqual(await nodeB.append('s1', 'get', notification('n'), { dedupe: 'k1' }), undefined)
    assert.strictEqual(await nodeA.append('s1', 'get', notification('n'), { dedupe: 'k1' }), undefined)
    assert.strictEqual(await fx.redis.xlen(`${fx.prefix}e:{s1}`), 1, 'stored once')
    assert.strictEqual(await nodeB.append('s1', 'get', notification('m'), { dedupe: 'k2' }), 'get.2', 'no number was used up')
    assert.strictEqual(await nodeB.append('s2', 'get', notification('n'), { dedupe: 'k1' }), 'get.1', 'keys are per session')
    assert.deepStrictEqual((await nodeA.replay('s1', { streamId: 'get', seq: 0 }))?.map((event) => event.message),
      [notification('n'), notification('m')])

    // Racing: of many nodes appending one broadcast at once, exactly one stores it.
    const racing = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? nodeA : nodeB).append('s1', 'get', notification('race'), { dedupe: 'k3' })))
    assert.deepStrictEqual(racing.filter((id) => id !== undefined), ['get.3'])
  })

  test(`RedisEventLog on ${name}: drop removes a session's keys, no other's`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const log = new RedisEventLog(fx.redis, { ...LIMITS, prefix: fx.prefix })
    await log.append('s1', 'get', notification(1))
    await log.append('s1', 'abc', notification(2), { final: true })
    await log.append('s2', 'get', notification(3))
    assert.strictEqual(await fx.redis.exists(`${fx.prefix}e:{s1}`, `${fx.prefix}q:{s1}`), 2)
    await log.drop('s1')
    assert.strictEqual(await fx.redis.exists(`${fx.prefix}e:{s1}`, `${fx.prefix}q:{s1}`), 0, 'the log and counters of s1 are gone')
    assert.deepStrictEqual(await log.replay('s1', { streamId: 'get', seq: 0 }), [])
    assert.deepStrictEqual(await log.replay('s2', { streamId: 'get', seq: 0 }), [{ id: 'get.1', message: notification(3) }])
    await log.drop('never')
    assert.ok((await fx.keys()).every((key) => !key.endsWith(':s1')), 'no key of s1 is left')
  })

  test(`RedisEventLog on ${name}: a replay some of whose events were trimmed away is refused; one after them is whole`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const log = new RedisEventLog(fx.redis, { ...LIMITS, prefix: fx.prefix })
    for (let i = 1; i <= 3; i++) await log.append('s1', 'str', notification(i))
    await log.append('s1', 'other', notification('x'))
    assert.deepStrictEqual((await log.replay('s1', { streamId: 'str', seq: 0 }))?.map((event) => event.id), ['str.1', 'str.2', 'str.3'])
    // Trim the stream's first entries away, as MAXLEN or MINID would.
    await fx.redis.xtrim(`${fx.prefix}e:{s1}`, 'MAXLEN', 2)
    assert.strictEqual(await log.replay('s1', { streamId: 'str', seq: 0 }), undefined)
    assert.strictEqual(await log.replay('s1', { streamId: 'str', seq: 1 }), undefined)
    assert.deepStrictEqual(await log.replay('s1', { streamId: 'str', seq: 2 }), [{ id: 'str.3', message: notification(3) }])
    assert.deepStrictEqual(await log.replay('s1', { streamId: 'other', seq: 0 }), [{ id: 'other.1', message: notification('x') }])
    await log.drop('s1')
    assert.deepStrictEqual(await log.replay('s1', { streamId: 'str', seq: 0 }), [])
  })

  test(`RedisEventLog on ${name}: a replay from the middle of a long log of interleaved streams returns exactly that stream's later events`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const log = new RedisEventLog(fx.redis, { maxEvents: 10_000, maxAgeMs: 60_000, prefix: fx.prefix })
    const appends: Array<Promise<string | undefined>> = []
    for (let i = 1; i <= 600; i++) appends.push(log.append('s1', i % 3 === 0 ? 'post' : 'get', notification(i)))
    await Promise.all(appends)
    const replayed = await log.replay('s1', { streamId: 'post', seq: 190 }) ?? []
    assert.deepStrictEqual(replayed.map((event) => event.id), Array.from({ length: 10 }, (_, i) => `post.${191 + i}`))
    assert.deepStrictEqual(replayed.map((event) => event.message), Array.from({ length: 10 }, (_, i) => notification(3 * (191 + i))))
  })

  test(`RedisEventLog on ${name}: garbage in the log reads as no replay (410), reported; a bad message alone is left out`, async (t) => {
    const fx = await backend.fixture(t)
    if (fx === undefined) return
    const dropped: DroppedEvent[] = []
    const log = new RedisEventLog(fx.redis, { ...LIMITS, prefix: fx.prefix, dropped: (event) => { dropped.push(event) } })
    for (let i = 1; i <= 3; i++) await log.append('s1', 'str', notification(i))
    // The last event's message is not JSON: left out, reported.
    await fx.redis.xadd(`${fx.prefix}e:{s1}`, '*', 's', 'str', 'n', '4', 'm', 'not json', 'f', '0', 'p', await lastEntry(fx.redis, `${fx.prefix}e:{s1}`))
    await fx.redis.hset(`${fx.prefix}q:{s1}`, 'str', `4 ${await lastEntry(fx.redis, `${fx.prefix}e:{s1}`)}`)
    assert.deepStrictEqual((await log.replay('s1', { streamId: 'str', seq: 2 }))?.map((event) => event.id), ['str.3'])
    assert.deepStrictEqual(dropped.map(({ what, reason }) => ({ what, reason })), [{ what: 'logged event', reason: 'not JSON' }])
    // A counter naming an entry that is not the stream's: no replay.
    await fx.redis.hset(`${fx.prefix}q:{s1}`, 'str', '9 0-1')
    assert.strictEqual(await log.replay('s1', { streamId: 'str', seq: 2 }), undefined)
  })
}
