// Garbage from Redis, against node processes: published on every channel the nodes listen on,
// and written into every key of a session (its record, its events) and beside what the nodes
// keep for all sessions. No node exits; what is broken answers with an error status, not a hang;
// everything else is served as before; the nodes log what they dropped.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { bounded, call, initialize, post, progressOf, ready, sdkClient, startNode, startRedis, until } from './harness.ts'

const GARBAGE = ['not json', '', 'null', '[]', '42', '{}', '{"type":"notify"}', '{"type":"ended","node":"x","sessionId":42}',
  '{"type":"probe","node":"x","sessionId":"s","streamId":{}}', '{"takeover":1}', '{"alive":"yes"}', '{"id":3,"message":"hi"}',
  '{"__proto__":{"polluted":1}}', '\u0000\uffff', '{'.repeat(10_000), 'x'.repeat(1_000_000)]

/** An SSE GET on `url` with `headers` (and `Last-Event-ID`): its status, read within `ms` (a stream may stay open: that is fine too). */
async function get (url: string, headers: Record<string, string>, ms = 5000): Promise<{ status: number, body: string }> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), ms)
  try {
    const answer = await request(url, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2025-11-25', ...headers }, signal: abort.signal })
    const body = await answer.body.text().catch(() => '(still open)')
    return { status: answer.statusCode, body }
  } finally {
    clearTimeout(timer)
  }
}

test('garbage on every bus channel and in session keys: no node exits, broken sessions get an error, the rest is served', async (t) => {
  const redis = await startRedis(t)
  const nodes = await Promise.all([startNode(t, redis), startNode(t, redis)])
  await Promise.all(nodes.map((node) => ready(node)))
  const [a, b] = nodes.map((node) => `${node.base}/mcp`) as [string, string]

  // A session with a GET stream open on each node (so stream channels are listened to), and one
  // with a finished streamed call (events in its log).
  const broken = await initialize(a)
  const open = [get(a, broken, 4000), get(b, broken, 4000)]
  const logged = await initialize(b)
  const streamed = await post(b, { ...call(1, 'slow', { steps: 2, ms: 0 }), params: { name: 'slow', arguments: { steps: 2, ms: 0 }, _meta: { progressToken: 'p' } } },
    { ...logged, accept: 'text/event-stream, application/json' })
  assert.equal(streamed.status, 200)
  const firstEvent = /id: (\S+)/.exec(streamed.body)?.[1]
  assert.ok(firstEvent !== undefined, `a streamed answer with event ids: ${streamed.body.slice(0, 200)}`)
  await sleep(300)

  const redisClient = await redis.client()
  const channels = await redisClient.pubsub('CHANNELS', '*') as string[]
  assert.ok(channels.length >= 2, `the nodes listen: ${channels.join(', ')}`)
  for (const channel of channels) {
    for (const payload of GARBAGE) await redisClient.publish(channel, payload)
  }
  // Every key: records, event logs, indexes, counters; more of the same type, but garbage.
  const keys: string[] = []
  for await (const batch of redisClient.scanStream({ count: 100 })) keys.push(...batch as string[])
  const sessionOf = (key: string): string | undefined => [broken, logged].map((h) => h['mcp-session-id']!).find((id) => key.includes(id))
  assert.ok(keys.some((key) => sessionOf(key) !== undefined), `the sessions' keys: ${keys.join(', ')}`)
  const records: string[] = []
  for (const key of keys) {
    const type = await redisClient.type(key)
    if (type === 'hash') {
      records.push(key)
      // The broken session's record: every field garbage; others: a stray field.
      const fields = await redisClient.hkeys(key)
      if (key.includes(broken['mcp-session-id']!)) for (const field of fields) await redisClient.hset(key, field, '{not json')
      else await redisClient.hset(key, 'stray', '\u0000')
    } else if (type === 'stream') {
      // Entries shaped like the real ones, one field made garbage at a time, and shapeless ones.
      const [entry] = await redisClient.xrange(key, '-', '+', 'COUNT', 1)
      const fields = entry?.[1] ?? []
      for (let i = 1; i < fields.length; i += 2) {
        const copy = [...fields]
        copy[i] = 'garbage'
        await redisClient.xadd(key, '*', ...copy)
      }
      await redisClient.xadd(key, '*', 'what', 'ever')
    } else if (type === 'zset') {
      await redisClient.zadd(key, 1, 'garbage', -1, '\u0000')
    } else if (type === 'set') {
      await redisClient.sadd(key, 'garbage')
    } else if (type === 'string') {
      await redisClient.set(key, 'garbage', 'KEEPTTL')
    }
  }
  // And the record of the wrong type altogether.
  const wrongType = records.find((key) => key.includes(broken['mcp-session-id']!))
  assert.ok(wrongType !== undefined, `the broken session's record among ${records.join(', ')}`)
  await redisClient.del(wrongType)
  await redisClient.set(wrongType, 'not a hash')
  await Promise.allSettled(open)
  await sleep(500)
  assert.ok(nodes.every((node) => node.alive), 'no node exited')

  t.diagnostic(`${GARBAGE.length} payloads on each of ${channels.length} channels (${channels.join(', ')}); garbage in ${keys.length} keys`)
  // The broken session: an error status, on either node, at once.
  for (const url of [a, b]) {
    const answer = await post(url, call(2, 'whoami'), broken, 5000)
    t.diagnostic(`the broken session: ${answer.status}`)
    assert.ok([404, 503].includes(answer.status), `the broken session: ${answer.status} ${answer.body.slice(0, 200)}`)
  }
  // The session whose event log took garbage: its stream resumed, answered one way or another.
  for (const url of [a, b]) {
    const resumed = await get(url, { ...logged, 'last-event-id': firstEvent }, 5000)
    t.diagnostic(`a resume over a garbled log: ${resumed.status} ${resumed.body.replace(/\n/g, ' ').slice(0, 300)}`)
    assert.ok([200, 404, 410, 503].includes(resumed.status), `a resume over a garbled log: ${resumed.status}`)
  }
  // A new session, on both nodes: served whole (a streamed call with its progress).
  const { client, received } = await sdkClient(t, new URL(a))
  const result = await bounded(client.callTool({ name: 'slow', arguments: { steps: 3, ms: 10 } }, undefined, { onprogress: () => {} }), 10_000, 'a call')
  assert.match((result.content as Array<{ text: string }>)[0]!.text, /^3 steps/)
  assert.deepEqual(progressOf(received), [1, 2, 3])
  const fresh = await initialize(b)
  assert.equal((await post(a, call(3, 'whoami'), fresh)).status, 200)
  assert.ok(nodes.every((node) => node.alive), 'no node exited')
  await until(() => nodes.some((node) => node.output.some((line) => line.includes('malformed value'))), 3000, 'the nodes to log what they dropped')
})
