import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { authorizationServer, bearer, INITIALIZE, postMcp, securedServer } from './oauth-setup.ts'
import { clientCredentialsToken } from './oauth-tokens.ts'
import { redisOrSkip } from '../packages/mcp-session/test/redis-helpers.ts'

test('rate-limit counters in Redis are shared by every node: a tool budget spans two servers', async (t) => {
  const redis = await redisOrSkip(t)
  if (redis === undefined) return
  // A principal of its own, so counters of other runs cannot interfere.
  const client = { clientId: `svc-${randomUUID()}`, clientSecret: 'secret' }
  const as = await authorizationServer(t, { clients: [client] })
  const nodes = []
  for (let i = 0; i < 2; i++) {
    const connection = new Redis(redis.url)
    t.after(() => connection.disconnect())
    nodes.push(await securedServer(t, as, { redis: connection, rateLimit: { max: 100, tools: { server_stats: { max: 2, timeWindowMs: 60_000 } } } }))
  }
  const call = async (url: string, token: string, id: number) => {
    const init = await postMcp(url, INITIALIZE, bearer(token))
    const headers = { ...bearer(token), 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' }
    return postMcp(url, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'server_stats', arguments: {} } }, headers)
  }
  const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]]
  // Each node has its own resource URL: a token for each.
  as.allowResource(a.url)
  as.allowResource(b.url)
  const tokenA = await clientCredentialsToken(as.issuer, client.clientId, client.clientSecret, a.url, 'mcp:tools mcp:admin')
  const tokenB = await clientCredentialsToken(as.issuer, client.clientId, client.clientSecret, b.url, 'mcp:tools mcp:admin')
  assert.equal((await call(a.url, tokenA, 1)).status, 200)
  assert.equal((await call(b.url, tokenB, 2)).status, 200)
  const limited = await call(a.url, tokenA, 3)
  assert.equal(limited.status, 429, 'the budget was spent across both nodes')
  assert.equal(limited.body.id, 3)
})
