// Regression (issue 10): a bad mcp-oauth option set was reported by its first problem only, as
// TypeBox words it ("/verification: Expected union value"), so fixing a configuration took one
// restart per mistake, and the message did not say what was allowed. Now the error lists every
// problem, each with what is allowed.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import mcpOAuth from '@mcp-fastify/mcp-oauth'
import Fastify from 'fastify'

test('every problem of the options is named, with the allowed values', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  app.register(mcpOAuth, {
    issuer: 'ftp://as.example.com',
    resource: 'https://mcp.example.com/mcp',
    verification: 'opaque',
    algorithms: ['HS256'],
    clockToleranceSec: 3600,
    rateLimit: { max: 0 },
    colour: 'blue'
  } as never)
  await assert.rejects(async () => { await app.ready() }, (error: Error & { code?: string }) => {
    assert.equal(error.code, 'FST_MCP_OAUTH_INVALID_OPTIONS')
    for (const expected of [
      /\/issuer: must be an http\(s\) URL/,
      /\/verification: must be "jwt" or "introspection" \(got "opaque"\)/,
      /\/algorithms\/0: must be one of "RS256", "RS384", .*"EdDSA" \(got "HS256"\)/,
      /\/clockToleranceSec: must be an integer from 0 to 300 \(got 3600\)/,
      /\/rateLimit\/max: must be an integer of at least 1 \(got 0\)/,
      /\/colour: unknown option \(known: issuer, resource, /
    ]) assert.match(error.message, expected)
    return true
  })
})
