// Regression: a bad mcp-session option was reported alone (the first one TypeBox found), as
// `Expected union value` for unknownSessions, without the values it takes; a store or redis option
// of the wrong shape was not checked at all and failed later, at the first request. Now the error
// names every problem, each with what the option accepts.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import mcpSession, { type McpSessionOptions } from '@mcp-fastify/mcp-session'

async function bootError (options: Record<string, unknown>): Promise<Error & { code?: string }> {
  const app = Fastify()
  app.register(mcpSession, options as McpSessionOptions)
  try {
    await app.ready()
  } catch (error) {
    return error as Error
  } finally {
    await app.close().catch(() => {})
  }
  throw new Error('ready() did not reject')
}

test('every bad option is named, with the values it takes', async () => {
  const error = await bootError({ ttlMs: 5, unknownSessions: 'ignore', maxSessions: 0 })
  assert.strictEqual(error.code, 'FST_MCP_SESSION_INVALID_OPTIONS')
  assert.match(error.message, /ttlMs: expected an integer >= 1000, got 5/)
  assert.match(error.message, /unknownSessions: expected one of "reject", "recover", got "ignore"/)
  assert.match(error.message, /maxSessions: expected an integer >= 1, got 0/)
})

test('a store or redis option of the wrong shape is refused at boot', async () => {
  const error = await bootError({ store: { get () {} }, redis: 42 })
  assert.strictEqual(error.code, 'FST_MCP_SESSION_INVALID_OPTIONS')
  assert.match(error.message, /store: .*missing create/)
  assert.match(error.message, /redis: expected /)
})
