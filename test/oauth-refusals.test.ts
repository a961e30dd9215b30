import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test, type TestContext } from 'node:test'
import type { AuthRefusedEvent } from '@mcp-fastify/mcp-oauth'
import { request } from 'undici'
import {
  authorizationServer, bearer, CLIENT, INITIALIZE, OTHER_CLIENT, parseChallenge, postMcp, securedServer,
  type Answer, type SecuredServer
} from './oauth-setup.ts'
import { clientCredentialsToken, resignWithForeignKey } from './oauth-tokens.ts'

/** Asserts a spec-shaped refusal: status, `WWW-Authenticate` and `{ error, error_description }`. */
function assertChallenge (answer: Answer, server: SecuredServer, status: number, error: string, description: RegExp): Record<string, string> {
  assert.equal(answer.status, status, JSON.stringify(answer.body))
  const challenge = parseChallenge(answer.headers['www-authenticate'])
  assert.equal(challenge.error, error)
  assert.match(challenge.error_description ?? '', description)
  assert.equal(challenge.resource_metadata, `${server.base}/.well-known/oauth-protected-resource/mcp`)
  assert.deepEqual(answer.body, { error, error_description: challenge.error_description })
  return challenge
}

function refusals (t: TestContext): AuthRefusedEvent[] {
  const events: AuthRefusedEvent[] = []
  const listener = (event: unknown): void => { events.push(event as AuthRefusedEvent) }
  subscribe('mcp-fastify:auth:refused', listener)
  t.after(() => unsubscribe('mcp-fastify:auth:refused', listener))
  return events
}

const toolsCall = (id: number, name: string): object => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } })

test('tokens the server must refuse, from real authorization servers, get 401 with the challenge', async (t) => {
  const as = await authorizationServer(t)
  const server = await securedServer(t, as)
  const events = refusals(t)
  const otherResource = 'http://127.0.0.1:1/other-mcp'
  as.allowResource(otherResource)
  const stranger = await authorizationServer(t)
  stranger.allowResource(server.url)
  const good = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, server.url, 'mcp:tools')

  await t.test('wrong audience: a token the same issuer made for another resource', async () => {
    const token = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, otherResource, 'mcp:tools')
    assertChallenge(await postMcp(server.url, INITIALIZE, bearer(token)), server, 401, 'invalid_token', /not issued for/)
    assert.deepEqual(events.at(-1), { reason: 'wrong_audience', statusCode: 401 })
  })
  await t.test('wrong issuer: another authorization server, for this very resource', async () => {
    const token = await clientCredentialsToken(stranger.issuer, CLIENT.id, CLIENT.secret, server.url, 'mcp:tools')
    assertChallenge(await postMcp(server.url, INITIALIZE, bearer(token)), server, 401, 'invalid_token', /cannot be verified|not issued by/)
    assert.equal(events.at(-1)?.statusCode, 401)
  })
  await t.test('foreign key: the trusted issuer\'s claims and kid, signed by someone else', async () => {
    assertChallenge(await postMcp(server.url, INITIALIZE, bearer(resignWithForeignKey(good))), server, 401, 'invalid_token', /signature or claims are invalid/)
    assert.deepEqual(events.at(-1), { reason: 'invalid_token', statusCode: 401 })
  })
  await t.test('token in the query string', async () => {
    const answer = await postMcp(`${server.url}?access_token=${good}`, INITIALIZE, bearer(good))
    assertChallenge(answer, server, 400, 'invalid_request', /query string/)
    assert.deepEqual(events.at(-1), { reason: 'token_in_query', statusCode: 400 })
  })
  await t.test('malformed headers and no token', async () => {
    for (const authorization of ['Bearer', `Bearer ${good} extra`, 'Bearer "quoted"', `bearer  ${good}x y`]) {
      assertChallenge(await postMcp(server.url, INITIALIZE, { authorization }), server, 401, 'invalid_token', /Malformed/)
      assert.deepEqual(events.at(-1), { reason: 'malformed', statusCode: 401 })
    }
    assertChallenge(await postMcp(server.url, INITIALIZE), server, 401, 'invalid_token', /No bearer token/)
    assert.deepEqual(events.at(-1), { reason: 'missing_token', statusCode: 401 })
    // GET and DELETE are checked as well.
    for (const method of ['GET', 'DELETE'] as const) {
      const response = await request(server.url, { method, headers: { accept: 'text/event-stream', 'mcp-session-id': 'x' } })
      const text = await response.body.text()
      assertChallenge({ status: response.statusCode, headers: response.headers, body: JSON.parse(text) }, server, 401, 'invalid_token', /No bearer token/)
    }
  })
  await t.test('the good token passes', async () => {
    assert.equal((await postMcp(server.url, INITIALIZE, bearer(good))).status, 200)
  })
})

test('an expired token gets 401 (time moved past its expiry and the clock skew)', async (t) => {
  const as = await authorizationServer(t, { accessTokenTtlSec: 60 })
  const server = await securedServer(t, as)
  const token = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, server.url, 'mcp:tools')
  assert.equal((await postMcp(server.url, INITIALIZE, bearer(token))).status, 200)
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 60_000 + 31_000 })
  assertChallenge(await postMcp(server.url, INITIALIZE, bearer(token)), server, 401, 'invalid_token', /expired/)
})

test('missing scope: the tool is not listed, and calling it gets 403 insufficient_scope naming the scopes', async (t) => {
  const as = await authorizationServer(t)
  const server = await securedServer(t, as)
  const events = refusals(t)
  const token = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, server.url, 'mcp:tools')
  const init = await postMcp(server.url, INITIALIZE, bearer(token))
  const headers = { ...bearer(token), 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' }
  const list = await postMcp(server.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, headers)
  assert.deepEqual(list.body.result.tools.map((tool: { name: string }) => tool.name), ['whoami', 'add_note', 'echo'])
  const challenge = assertChallenge(await postMcp(server.url, toolsCall(2, 'server_stats'), headers), server, 403, 'insufficient_scope', /mcp:admin/)
  assert.equal(challenge.scope, 'mcp:tools mcp:admin')
  assert.deepEqual(events, [{ reason: 'insufficient_scope', statusCode: 403 }])
  // A token without mcp:tools sees no tool, and any call is refused.
  const bare = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, server.url, '')
  const bareInit = await postMcp(server.url, INITIALIZE, bearer(bare))
  const bareHeaders = { ...bearer(bare), 'mcp-session-id': String(bareInit.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' }
  assert.deepEqual((await postMcp(server.url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, bareHeaders)).body.result.tools, [])
  assert.equal(parseChallenge((await postMcp(server.url, toolsCall(4, 'echo'), bareHeaders)).headers['www-authenticate']).scope, 'mcp:tools')
  // With the scope, the call goes through.
  assert.equal((await postMcp(server.url, toolsCall(5, 'whoami'), headers)).body.result.content[0].text.includes('"principal":"service-a"'), true)
})

test('a session presented with another principal\'s token is unknown (404)', async (t) => {
  const as = await authorizationServer(t)
  const server = await securedServer(t, as)
  const alice = await clientCredentialsToken(as.issuer, CLIENT.id, CLIENT.secret, server.url, 'mcp:tools')
  const mallory = await clientCredentialsToken(as.issuer, OTHER_CLIENT.id, OTHER_CLIENT.secret, server.url, 'mcp:tools')
  const init = await postMcp(server.url, INITIALIZE, bearer(alice))
  const session = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' }
  assert.equal((await postMcp(server.url, toolsCall(1, 'whoami'), { ...session, ...bearer(alice) })).status, 200)
  const stolen = await postMcp(server.url, toolsCall(2, 'whoami'), { ...session, ...bearer(mallory) })
  assert.equal(stolen.status, 404)
  // (The body may also echo the request's id: the transport's business, not this test's.)
  assert.equal(stolen.body.jsonrpc, '2.0')
  assert.deepEqual(stolen.body.error, { code: -32001, message: 'Session not found' })
  const deleted = await request(server.url, { method: 'DELETE', headers: { ...session, ...bearer(mallory) } })
  await deleted.body.dump()
  assert.equal(deleted.statusCode, 404)
  // Still alice's.
  assert.equal((await postMcp(server.url, toolsCall(3, 'whoami'), { ...session, ...bearer(alice) })).status, 200)
})
