// An OAuth-protected endpoint used by the official SDK v2 client at 2026-07-28: every request is
// authorized on its own (there is no session to bind), the principal's answers are private, and
// what the token does not grant is unknown to it, as on 2025 traffic.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { textOf } from './helpers.ts'
import { authorizationServer, CLIENT, postMcp, securedServer } from './oauth-setup.ts'
import { clientCredentialsToken } from './oauth-tokens.ts'

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {}
}

test('SDK v2 at 2026-07-28 with a bearer token: every request authorized, answers private, admin tools unseen', async (t) => {
  const as = await authorizationServer(t)
  const server = await securedServer(t, as)
  const token = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, server.url, 'mcp:tools')
  const client = new Client({ name: 'oauth-v2', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } })
  t.after(() => client.close())
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }))
  assert.equal(client.getProtocolEra(), 'modern')

  const { tools } = await client.listTools(undefined, { cacheMode: 'refresh' })
  assert.deepEqual(tools.map((tool) => tool.name).sort(), ['add_note', 'echo', 'whoami'], 'server_stats needs mcp:admin')
  const whoami = JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })))
  assert.equal(whoami.clientId, CLIENT.id)
  assert.deepEqual(whoami.scopes, ['mcp:tools'])

  // The same requests over plain HTTP: no token, 401 with the challenge; with it, a private list.
  const list = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: ENVELOPE } }
  const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' }
  const refused = await postMcp(server.url, list, headers)
  assert.equal(refused.status, 401)
  assert.match(String(refused.headers['www-authenticate']), /resource_metadata=/)
  const answered = await postMcp(server.url, list, { ...headers, authorization: `Bearer ${token}` })
  assert.equal(answered.status, 200)
  const result = (answered.body as { result: Record<string, unknown> }).result
  assert.equal(result.cacheScope, 'private', 'an answer that depends on the principal is never public')
})
