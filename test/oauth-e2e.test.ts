import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { textOf, withTimeout } from './helpers.ts'
import { InMemoryOAuthClient } from './oauth-client.ts'
import { authorizationServer, securedServer } from './oauth-setup.ts'
import { claimsOf } from './oauth-tokens.ts'

test('the official SDK client discovers, registers, authorizes with PKCE and a resource indicator, then calls a tool', async (t) => {
  const as = await authorizationServer(t, { accountId: 'alice' })
  const { url } = await securedServer(t, as)
  const oauth = new InMemoryOAuthClient()

  // First attempt: 401, then the SDK's own flow runs up to the browser.
  const first = new StreamableHTTPClientTransport(new URL(url), { authProvider: oauth })
  const client = new Client({ name: 'e2e-oauth', version: '1.0.0' })
  await assert.rejects(withTimeout(client.connect(first), 10_000, 'connect'), UnauthorizedError)
  await client.close()

  // Dynamic client registration happened, and the authorization request is PKCE S256 for this resource.
  assert.ok(oauth.client?.client_id, 'the client registered dynamically')
  const authorization = oauth.authorizations[0]
  assert.ok(authorization !== undefined)
  assert.equal(authorization.origin, as.issuer)
  assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256')
  assert.ok((authorization.searchParams.get('code_challenge') ?? '').length >= 43)
  assert.equal(authorization.searchParams.get('resource'), url)
  // Least privilege: the 401 named the scopes of a basic session, and the client asked for those only.
  assert.equal(authorization.searchParams.get('scope'), 'mcp:tools')

  // The "browser" logs alice in and consents; the code is exchanged (with the verifier) for a JWT.
  const code = await withTimeout(oauth.code!, 10_000, 'authorization')
  await first.finishAuth(code)
  const token = oauth.tokens()?.access_token
  assert.ok(token !== undefined)
  const claims = claimsOf(token)
  assert.equal(claims.aud, url)
  assert.equal(claims.iss, as.issuer)
  assert.equal(claims.sub, 'alice')

  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: oauth })
  const connected = new Client({ name: 'e2e-oauth', version: '1.0.0' })
  t.after(() => connected.close())
  await withTimeout(connected.connect(transport), 10_000, 'connect with a token')
  const whoami = JSON.parse(textOf(await connected.callTool({ name: 'whoami', arguments: {} })))
  assert.equal(whoami.principal, 'alice')
  assert.equal(whoami.clientId, oauth.client.client_id)
  assert.deepEqual(whoami.scopes, ['mcp:tools'])
  const tools = await connected.listTools()
  assert.equal(tools.tools.some((tool) => tool.name === 'server_stats'), false, 'the admin tool is not for this token')

  // Step-up: calling the admin tool gets 403 insufficient_scope naming what the token has plus
  // mcp:admin, and the SDK sends the user to authorize exactly that. (The development server
  // then refuses: the SDK registered this client with the scope of its first authorization, and
  // oidc-provider holds a client to its registered scope; see mcp-oauth's README.)
  await assert.rejects(withTimeout(connected.callTool({ name: 'server_stats', arguments: {} }), 10_000, 'step-up'), UnauthorizedError)
  const stepUp = oauth.authorizations[1]
  assert.ok(stepUp !== undefined, 'a second authorization, for more scopes')
  assert.deepEqual(stepUp.searchParams.get('scope')?.split(' ').sort(), ['mcp:admin', 'mcp:tools'])
  assert.equal(stepUp.searchParams.get('resource'), url)
})
