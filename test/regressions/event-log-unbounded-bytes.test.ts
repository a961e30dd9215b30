// Regression: the memory event log bounded only the number of events per session (1,000), so a
// session whose tool streamed large results kept them all (1,000 x 1 MB = 1 GB), and nothing
// bounded all sessions together. Now it keeps at most maxEventBytesPerSession (1 MiB) per session
// and maxEventBytes (64 MiB) in all, the oldest first; a resume from before what it kept is 410.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { JSONRPCNotification } from '@mcp-fastify/mcp-protocol'
import Fastify, { type FastifyInstance } from 'fastify'
import mcpSession, { type McpSessionOptions } from '@mcp-fastify/mcp-session'
import { NEW_SESSION } from '../../packages/mcp-session/test/helpers.ts'

function large (n: number, bytes: number): JSONRPCNotification {
  return { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `${n}:${'x'.repeat(bytes)}` } }
}

async function app (t: { after: (fn: () => unknown) => void }, options: McpSessionOptions = {}): Promise<FastifyInstance> {
  const instance = Fastify()
  t.after(() => instance.close())
  await instance.register(mcpSession, options)
  await instance.ready()
  return instance
}

/** Bytes of the events a resume from the start of the stream could still get. */
async function kept (instance: FastifyInstance, sessionId: string, count: number): Promise<number> {
  for (let seq = 0; seq < count; seq++) {
    const events = await instance.mcpSessions.eventLog.replay(sessionId, { streamId: 'get', seq })
    if (events !== undefined) return events.reduce((sum, event) => sum + JSON.stringify(event.message).length, 0)
  }
  return 0
}

test('by default a session keeps at most 1 MiB of events, however few they are', async (t) => {
  const instance = await app(t)
  const session = await instance.mcpSessions.create(NEW_SESSION)
  const stream = session.openStandalone()
  for (let n = 0; n < 20; n++) await stream.send(large(n, 200_000))
  const bytes = await kept(instance, session.id, 20)
  assert.ok(bytes > 0 && bytes <= 1024 * 1024, `${bytes} bytes kept for the session`)
})

test('maxEventBytes bounds all sessions together', async (t) => {
  const instance = await app(t, { maxEventBytes: 2 * 1024 * 1024 })
  const ids: string[] = []
  for (let s = 0; s < 10; s++) {
    const session = await instance.mcpSessions.create(NEW_SESSION)
    ids.push(session.id)
    const stream = session.openStandalone()
    for (let n = 0; n < 5; n++) await stream.send(large(n, 100_000))
  }
  let sum = 0
  for (const id of ids) sum += await kept(instance, id, 5)
  assert.ok(sum > 0 && sum <= 2 * 1024 * 1024, `${sum} bytes kept in all`)
})
