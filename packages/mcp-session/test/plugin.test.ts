import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import mcpSession, {
  errorCodes,
  McpSessions,
  MemoryEventLog,
  MemoryMessageBus,
  MemorySessionStore,
  type McpSessionOptions
} from '../src/index.ts'
import { flush, NEW_SESSION, notification, replayedIds } from './helpers.ts'

async function build (t: TestContext, options: McpSessionOptions = {}): Promise<FastifyInstance> {
  const app = Fastify()
  t.after(() => app.close())
  await app.register(mcpSession, options)
  await app.ready()
  return app
}

test('plugin: decorates app.mcpSessions, with the default settings', async (t) => {
  const app = await build(t)
  assert.ok(app.mcpSessions instanceof McpSessions)
  assert.deepStrictEqual(app.mcpSessions.settings, {
    ttlMs: 30 * 60_000,
    maxSessions: 100_000,
    maxStreamsPerSession: 100,
    maxSubscriptionsPerSession: 100,
    maxEventsPerSession: 1000,
    maxEventBytesPerSession: 1024 * 1024,
    maxEventBytes: 64 * 1024 * 1024,
    maxEventAgeMs: 10 * 60_000,
    unknownSessions: 'reject',
    keyPrefix: 'mcp:',
    redisConnectTimeoutMs: 10_000,
    retryMs: 1000
  })
  assert.ok(app.mcpSessions.store instanceof MemorySessionStore)
  assert.ok(app.mcpSessions.eventLog instanceof MemoryEventLog)
  assert.ok(app.mcpSessions.bus instanceof MemoryMessageBus)
  const session = await app.mcpSessions.create(NEW_SESSION)
  assert.strictEqual(await app.mcpSessions.get(session.id), session)
})

test('plugin: registers under its name', async (t) => {
  const app = await build(t)
  assert.strictEqual(app.hasPlugin('@mcp-fastify/mcp-session'), true)
})

test('plugin: options and services are used', async (t) => {
  const store = new MemorySessionStore()
  const eventLog = new MemoryEventLog()
  const bus = new MemoryMessageBus()
  const app = await build(t, { ttlMs: 5000, maxSessions: 3, retryMs: 0, reapIntervalMs: 250, store, eventLog, bus })
  assert.deepStrictEqual(app.mcpSessions.settings,
    {
      ttlMs: 5000,
      maxSessions: 3,
      maxStreamsPerSession: 100,
      maxSubscriptionsPerSession: 100,
      maxEventsPerSession: 1000,
      maxEventBytesPerSession: 1024 * 1024,
      maxEventBytes: 64 * 1024 * 1024,
      maxEventAgeMs: 600_000,
      unknownSessions: 'reject',
      keyPrefix: 'mcp:',
      redisConnectTimeoutMs: 10_000,
      retryMs: 0,
      reapIntervalMs: 250
    })
  assert.strictEqual(app.mcpSessions.store, store)
  assert.strictEqual(app.mcpSessions.eventLog, eventLog)
  assert.strictEqual(app.mcpSessions.bus, bus)
  const session = await app.mcpSessions.create(NEW_SESSION)
  assert.ok(await store.get(session.id))
})

test('plugin: maxEventsPerSession bounds the default event log', async (t) => {
  const app = await build(t, { maxEventsPerSession: 2 })
  const session = await app.mcpSessions.create(NEW_SESSION)
  const standalone = session.openStandalone()
  for (const n of [1, 2, 3]) await standalone.send(notification(n))
  assert.deepStrictEqual(await replayedIds(app.mcpSessions.eventLog, session.id, 'get', 1), ['get.2', 'get.3'])
  assert.strictEqual(await replayedIds(app.mcpSessions.eventLog, session.id, 'get', 0), 'gone', 'get.1 was evicted: no partial replay')
})

test('plugin: bad options make ready() reject with FST_MCP_SESSION_INVALID_OPTIONS', async (t) => {
  const bad: Array<Record<string, unknown>> = [
    { ttlMs: 5 },
    { bogus: true },
    { maxSessions: 0 },
    { maxEventsPerSession: 1.5 },
    { retryMs: -1 },
    { reapIntervalMs: 10 },
    { ttlMs: '60000' },
    { maxSubscriptionsPerSession: 0 },
    { maxEventBytes: 10 },
    { keyPrefix: 'app{1}:' },
    { store: {} },
    { eventLog: { append () {} } },
    { bus: 'memory' },
    { redis: 'localhost:6379' },
    { redis: { cluster: [] } },
    { redis: 6379 }
  ]
  for (const options of bad) {
    const app = Fastify()
    app.register(mcpSession, options as McpSessionOptions)
    await assert.rejects(async () => { await app.ready() }, (error: Error & { code: string }) => {
      assert.strictEqual(error.code, 'FST_MCP_SESSION_INVALID_OPTIONS', JSON.stringify(options))
      assert.ok(error instanceof errorCodes.FST_MCP_SESSION_INVALID_OPTIONS)
      return true
    })
    await app.close().catch(() => {})
  }
})

test('plugin: the error of a bad option names it', async (t) => {
  const app = Fastify()
  app.register(mcpSession, { ttlMs: 5 })
  await assert.rejects(async () => { await app.ready() }, /ttlMs/)
  await app.close().catch(() => {})
})

test('plugin: the options error lists every problem, each with what the option accepts', async (t) => {
  const app = Fastify()
  t.after(() => app.close().catch(() => {}))
  app.register(mcpSession, { ttlMs: 5, unknownSessions: 'ignore', keyPrefix: '{x}', maxEventsPerSession: 1.5, bogus: true } as unknown as McpSessionOptions)
  await assert.rejects(async () => { await app.ready() }, (error: Error & { code: string }) => {
    assert.strictEqual(error.code, 'FST_MCP_SESSION_INVALID_OPTIONS')
    for (const expected of [
      'ttlMs: expected an integer >= 1000, got 5',
      'unknownSessions: expected one of "reject", "recover", got "ignore"',
      'keyPrefix: expected a string without "{" or "}", got "{x}"',
      'maxEventsPerSession: expected an integer >= 1, got 1.5',
      'bogus: not an option (the options are ttlMs, maxSessions,'
    ]) assert.ok(error.message.includes(expected), `${JSON.stringify(expected)} in ${error.message}`)
    assert.match(error.message, /store, eventLog, bus, redis\)/, 'the fields beside the settings are named too')
    return true
  })
})

test('plugin: a store, event log, bus or redis of the wrong shape is refused at boot, every problem named', async (t) => {
  const app = Fastify()
  t.after(() => app.close().catch(() => {}))
  app.register(mcpSession, { store: { get () {} }, bus: {}, redis: { cluster: [] } } as unknown as McpSessionOptions)
  await assert.rejects(async () => { await app.ready() }, (error: Error & { code: string }) => {
    assert.strictEqual(error.code, 'FST_MCP_SESSION_INVALID_OPTIONS')
    assert.match(error.message, /store: expected an object with create\(\), get\(\), .*missing create, touch, update, delete, count, ping, close/)
    assert.match(error.message, /bus: expected an object with publish\(\), subscribe\(\), close\(\); missing publish, subscribe, close/)
    assert.match(error.message, /redis: expected a redis:\/\/ or rediss:\/\/ URL .* got an object/)
    return true
  })
})

test('plugin: app.close() stops the reaper', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] })
  const app = Fastify()
  await app.register(mcpSession, { ttlMs: 1000 })
  await app.ready()
  let reaps = 0
  app.mcpSessions.reap = async () => { reaps++ }
  t.mock.timers.tick(250)
  assert.strictEqual(reaps, 2, 'the reaper runs while the app is up')
  await app.close()
  t.mock.timers.tick(10_000)
  assert.strictEqual(reaps, 2, 'and no more once it is closed')
})

test('plugin: app.close() stops listening to the bus', async (t) => {
  const store = new MemorySessionStore()
  const eventLog = new MemoryEventLog()
  const bus = new MemoryMessageBus()
  const app = await build(t, { store, eventLog, bus })
  const other = await build(t, { store, eventLog, bus })
  const session = await app.mcpSessions.create(NEW_SESSION)
  session.openStandalone()
  other.mcpSessions.broadcast(notification('before'))
  await flush()
  await app.close()
  other.mcpSessions.broadcast(notification('after'))
  await flush()
  const events = await eventLog.replay(session.id, { streamId: 'get', seq: 0 })
  assert.deepStrictEqual(events?.map((event) => event.message), [notification('before')])
})
