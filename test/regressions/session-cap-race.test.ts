// Regression: the caps on sessions were checked, then the session created, with an await between
// (McpSessions.#open counted, then created), so initializes arriving together all saw room and all
// got a session: maxSessions 2 let 5 concurrent creates through, and two nodes sharing Redis did
// the same. Now the store checks the caps and creates in one step (the memory store with no await
// between, Redis in one Lua script), and a refusal is the usual 503 / 429.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import mcpSession, { type McpSessions } from '@mcp-fastify/mcp-session'
import { NEW_SESSION, startSessions } from '../../packages/mcp-session/test/helpers.ts'
import { redisOrSkip } from '../../packages/mcp-session/test/redis-helpers.ts'

function codes (outcomes: Array<PromiseSettledResult<unknown>>): string[] {
  return outcomes.map((outcome) => outcome.status === 'fulfilled' ? 'created' : (outcome.reason as { code: string }).code).sort()
}

test('concurrent creates on one node never pass maxSessions or maxSessionsPerPrincipal', async (t) => {
  const sessions = await startSessions(t, { maxSessions: 2 })
  assert.deepStrictEqual(codes(await Promise.allSettled(Array.from({ length: 5 }, () => sessions.create(NEW_SESSION)))),
    ['FST_MCP_SESSION_LIMIT', 'FST_MCP_SESSION_LIMIT', 'FST_MCP_SESSION_LIMIT', 'created', 'created'])
  assert.strictEqual(await sessions.store.count(), 2)

  const perPrincipal = await startSessions(t, { maxSessionsPerPrincipal: 1 })
  assert.deepStrictEqual(codes(await Promise.allSettled(Array.from({ length: 3 }, () => perPrincipal.create({ ...NEW_SESSION, principal: 'alice' })))),
    ['FST_MCP_SESSION_PRINCIPAL_LIMIT', 'FST_MCP_SESSION_PRINCIPAL_LIMIT', 'created'])
})

test('concurrent creates on two nodes sharing Redis never pass maxSessions', async (t) => {
  const fx = await redisOrSkip(t)
  if (fx === undefined) return
  const nodes: McpSessions[] = []
  for (let i = 0; i < 2; i++) {
    const app = Fastify()
    fx.defer(() => app.close())
    await app.register(mcpSession, { redis: fx.url, keyPrefix: fx.prefix, maxSessions: 3, maxSessionsPerPrincipal: 2 })
    await app.ready()
    nodes.push(app.mcpSessions)
  }
  const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => nodes[i % 2]!.create(NEW_SESSION)))
  assert.strictEqual(codes(outcomes).filter((code) => code === 'created').length, 3, codes(outcomes).join(', '))
  assert.strictEqual(await nodes[0]!.store.count(), 3)
})
