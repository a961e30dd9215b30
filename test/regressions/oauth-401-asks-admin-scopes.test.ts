// Regression (issue 10, "Least privilege by default"): a 401 carried no `scope`, so every client
// (the official SDK v1 and v2 clients, mcp-remote, the MCP Inspector...) asked the authorization
// server for every scope of the protected resource metadata, admin scopes included, and users
// consented to more than their session needed. Now the 401 names the scopes of a basic session:
// the endpoint's required scopes and the default scopes of tools, resources and prompts, not the
// extra scopes of individual tools (those are asked for when needed, by the 403 step-up).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { authorizationServer, INITIALIZE, parseChallenge, postMcp, securedServer } from '../oauth-setup.ts'

test('the 401 of the secured example asks for mcp:tools, not mcp:admin', async (t) => {
  const as = await authorizationServer(t)
  const server = await securedServer(t, as)
  const refused = await postMcp(server.url, INITIALIZE)
  assert.equal(refused.status, 401)
  assert.equal(parseChallenge(refused.headers['www-authenticate']).scope, 'mcp:tools')
})
