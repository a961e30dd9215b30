// Regression: resuming a stream on Redis read the session's whole event log, twice (XRANGE - + for
// the replay and again to find the stream's oldest kept event), however little the client missed:
// a client resuming a short POST stream in a session whose standalone stream had logged a thousand
// notifications made Redis send all of them. Now each logged event names the previous one of its
// stream, and a replay walks back from the stream's last event to the one asked for: what Redis
// reads is what the client gets. Watched with MONITOR, which shows the commands scripts run too.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import mcpSession from '@mcp-fastify/mcp-session'
import { fakeSink, NEW_SESSION, notification } from '../../packages/mcp-session/test/helpers.ts'
import { redisOrSkip, waitFor } from '../../packages/mcp-session/test/redis-helpers.ts'

test('a resume reads from the requested event, not the whole log', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const app = Fastify()
  fx.defer(() => app.close())
  await app.register(mcpSession, { redis: fx.url, keyPrefix: fx.prefix })
  await app.ready()
  const session = await app.mcpSessions.create(NEW_SESSION)
  const standalone = session.openStandalone()
  const post = session.openStream(7)
  for (let n = 1; n <= 300; n++) {
    await standalone.send(notification(n))
    if (n % 100 === 0) await post.send(notification(n, 'notifications/progress'))
  }

  const monitor = await (await fx.connection()).monitor()
  fx.defer(() => monitor.disconnect())
  const reads: string[][] = []
  let marked = false
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0]?.toLowerCase() === 'echo' && args[1] === `${fx.prefix}done`) marked = true
    else if (['xrange', 'xrevrange', 'xread'].includes(args[0]?.toLowerCase() ?? '') && args[1]?.startsWith(fx.prefix) === true) reads.push(args)
  })
  const sink = fakeSink()
  assert.strictEqual(await session.resume(`${post.id}.2`, sink), 'resumed')
  assert.deepStrictEqual(sink.ids, [`${post.id}.3`])
  await fx.redis.echo(`${fx.prefix}done`)
  await waitFor(() => marked, 2000, 'MONITOR to show the commands of the resume')

  assert.ok(reads.length >= 1, 'MONITOR shows the reads scripts make')
  const whole = reads.filter((args) => args.slice(2, 4).join(' ') === '- +' && args.length === 4)
  assert.deepStrictEqual(whole, [], 'no read of the whole log')
  assert.ok(reads.length <= 1, `one event replayed, at most one entry read: ${JSON.stringify(reads)}`)
})
