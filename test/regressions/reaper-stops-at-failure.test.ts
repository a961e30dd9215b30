// Regression: the reaper looked at sessions one at a time and stopped at the first store call that
// threw (a Redis hiccup, a garbled record): the sessions after it were not reaped that round,
// reap() rejected, and the interval swallowed the error without a word. Now each session is looked
// at on its own (in batches), a failure is reported on mcp-fastify:failure (logged by
// mcp-transport, counted by mcp-metrics), and the others are reaped.
import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test } from 'node:test'
import { MemorySessionStore } from '@mcp-fastify/mcp-session'
import { memoryServices, NEW_SESSION, startSessions } from '../../packages/mcp-session/test/helpers.ts'

test('a session the reaper cannot look at does not stop it; the failure is reported', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 })
  const failures: unknown[] = []
  const listener = (event: unknown): void => { failures.push(event) }
  subscribe('mcp-fastify:failure', listener)
  t.after(() => unsubscribe('mcp-fastify:failure', listener))
  const store = new MemorySessionStore()
  const broken = new Set<string>()
  const { get } = store
  store.get = async (id) => {
    if (broken.has(id)) throw new Error('store down')
    return get.call(store, id)
  }
  const sessions = await startSessions(t, { ttlMs: 1000, reapIntervalMs: 3_600_000 }, { ...memoryServices(), store })
  const ended: string[] = []
  sessions.onEnd((id) => ended.push(id))
  const first = await sessions.create(NEW_SESSION)
  const second = await sessions.create(NEW_SESSION)
  broken.add(first.id)
  t.mock.timers.setTime(1_002_000)
  await sessions.reap()
  assert.deepStrictEqual(ended, [second.id], 'the session after the broken one was reaped')
  assert.deepStrictEqual(failures.map((event) => ({ ...event as object, error: String((event as { error: unknown }).error) })),
    [{ component: 'session', action: 'reap a session', error: 'Error: store down' }])
})
