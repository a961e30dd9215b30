import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test, type TestContext } from 'node:test'
import type { SessionCloseEvent, SessionOpenEvent } from '../src/index.ts'
import { advance, memoryServices, NEW_SESSION, startSessions } from './helpers.ts'

/** Records session open/close events, per McpSessions node (by session id and order). */
function record (t: TestContext): string[] {
  const seen: string[] = []
  const open = (message: unknown): void => {
    const event = message as SessionOpenEvent
    seen.push(`open ${event.sessionId} ${event.created ? 'created' : 'taken up'}`)
  }
  const close = (message: unknown): void => {
    const event = message as SessionCloseEvent
    seen.push(`close ${event.sessionId} ${event.reason} ${event.durationMs === undefined ? 'no duration' : 'with duration'}`)
  }
  subscribe('mcp-fastify:session:open', open)
  subscribe('mcp-fastify:session:close', close)
  t.after(() => {
    unsubscribe('mcp-fastify:session:open', open)
    unsubscribe('mcp-fastify:session:close', close)
  })
  return seen
}

test('channels: open and close pair up on each node: created, taken up, released, deleted', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] })
  const services = memoryServices()
  const a = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 100 }, services)
  const b = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 100 }, services)
  const seen = record(t)
  const session = await a.create(NEW_SESSION)
  const id = session.id
  assert.ok(await b.get(id), 'B takes the session up from the shared store')
  assert.deepEqual(seen, [`open ${id} created`, `open ${id} taken up`])

  // Used on A only: B's copy idles out and is let go, while the session lives on.
  for (let step = 0; step < 12; step++) {
    await advance(t, 100)
    await a.get(id)
  }
  assert.equal(b.size, 0)
  assert.deepEqual(seen.slice(2), [`close ${id} released no duration`])

  await a.delete(id)
  assert.deepEqual(seen.slice(3), [`close ${id} deleted with duration`])
  const opens = seen.filter((line) => line.startsWith('open')).length
  const closes = seen.filter((line) => line.startsWith('close')).length
  assert.equal(opens, closes, 'every open has its close')
})

test('channels: a session that expires closes with its duration, once on the node that held it', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] })
  const sessions = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 100 })
  const seen = record(t)
  const { id } = await sessions.create(NEW_SESSION)
  await advance(t, 1500)
  assert.deepEqual(seen, [`open ${id} created`, `close ${id} expired with duration`])
})
