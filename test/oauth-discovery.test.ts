import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { authorizationServer, bearer, CLIENT, INITIALIZE, postMcp, RESOURCE_SERVER_CLIENT, securedServer } from './oauth-setup.ts'
import { clientCredentialsToken } from './oauth-tokens.ts'

async function getJson (url: string, method: 'GET' | 'HEAD' | 'OPTIONS' = 'GET'): Promise<{ status: number, headers: Record<string, unknown>, body: any }> {
  const response = await request(url, { method, headers: { origin: 'https://app.example', 'mcp-protocol-version': '2025-11-25' } })
  const text = await response.body.text()
  return { status: response.statusCode, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) }
}

test('protected resource metadata is served without a token, path-inserted and at the root, with HEAD and CORS', async (t) => {
  const as = await authorizationServer(t)
  const server = await securedServer(t, as)
  const expected = {
    resource: server.url,
    authorization_servers: [as.issuer],
    bearer_methods_supported: ['header'],
    scopes_supported: ['mcp:tools', 'mcp:admin'],
    resource_name: 'Secured notes'
  }
  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    const answer = await getJson(`${server.base}${path}`)
    assert.equal(answer.status, 200, path)
    assert.deepEqual(answer.body, expected)
    assert.equal(answer.headers['access-control-allow-origin'], '*')
    const head = await getJson(`${server.base}${path}`, 'HEAD')
    assert.equal(head.status, 200)
    assert.match(String(head.headers['content-type']), /application\/json/)
    const preflight = await getJson(`${server.base}${path}`, 'OPTIONS')
    assert.equal(preflight.status, 204)
    assert.match(String(preflight.headers['access-control-allow-headers']), /mcp-protocol-version/)
  }
  assert.equal((await getJson(`${server.base}/.well-known/oauth-protected-resource/elsewhere`)).status, 404)
})

test('for 2025-03-26 clients, the issuer\'s authorization server metadata is served at the root, as the issuer has it', async (t) => {
  const as = await authorizationServer(t)
  const server = await securedServer(t, as)
  const own = await getJson(`${as.issuer}/.well-known/openid-configuration`)
  const served = await getJson(`${server.base}/.well-known/oauth-authorization-server`)
  assert.equal(served.status, 200)
  assert.deepEqual(served.body, own.body)
  assert.equal(served.body.registration_endpoint, `${as.issuer}/reg`)
  assert.equal(served.headers['access-control-allow-origin'], '*')
})

test('opaque tokens are checked by introspection (RFC 7662) at the real issuer, answers cached', async (t) => {
  const as = await authorizationServer(t, { opaqueTokens: true })
  const server = await securedServer(t, as, {
    verification: 'introspection',
    introspection: { clientId: RESOURCE_SERVER_CLIENT.id, clientSecret: RESOURCE_SERVER_CLIENT.secret }
  })
  const token = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, server.url, 'mcp:tools')
  assert.equal(token.split('.').length, 1, 'an opaque token')
  const init = await postMcp(server.url, INITIALIZE, bearer(token))
  assert.equal(init.status, 200, JSON.stringify(init.body))
  const headers = { ...bearer(token), 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' }
  const call = await postMcp(server.url, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, headers)
  assert.match(call.body.result.content[0].text, /"principal":"service-a"/)
  assert.equal(server.app.mcpOAuth.introspector?.requests, 1)
  const unknown = await postMcp(server.url, INITIALIZE, bearer('not-a-token-the-issuer-made'))
  assert.equal(unknown.status, 401)
  assert.equal(unknown.body.error_description, 'The token is not active')
})

test('budgets: a tool over its budget answers 429 as a JSON-RPC error with Retry-After', async (t) => {
  const as = await authorizationServer(t)
  const server = await securedServer(t, as, { rateLimit: { max: 100, tools: { server_stats: { max: 2, timeWindowMs: 60_000 } } } })
  const token = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, server.url, 'mcp:tools mcp:admin')
  const init = await postMcp(server.url, INITIALIZE, bearer(token))
  const headers = { ...bearer(token), 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' }
  const call = (id: number, name: string) => postMcp(server.url, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } }, headers)
  assert.equal((await call(1, 'server_stats')).status, 200)
  assert.equal((await call(2, 'server_stats')).status, 200)
  const limited = await call(3, 'server_stats')
  assert.equal(limited.status, 429)
  assert.ok(Number(limited.headers['retry-after']) > 0)
  assert.deepEqual(limited.body, { jsonrpc: '2.0', id: 3, error: { code: -32000, message: `Too Many Requests: retry in ${String(limited.headers['retry-after'])} s` } })
  // Other tools have their own budget (the endpoint's).
  assert.equal((await call(4, 'whoami')).status, 200)
})
