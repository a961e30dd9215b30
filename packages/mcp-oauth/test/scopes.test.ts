import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { RateLimitedEvent } from '../src/index.ts'
import { FixtureIssuer, parseChallenge, post, RESOURCE, rpc, securedApp, type LogLine } from './helpers.ts'

function declareItems (app: FastifyInstance): void {
  app.mcp.tool({ name: 'read', handler: () => ({ content: [{ type: 'text', text: 'read' }] }) })
  app.mcp.tool({ name: 'write', config: { scopes: ['notes:write'] }, handler: () => ({ content: [{ type: 'text', text: 'written' }] }) })
  app.mcp.resource({ uri: 'notes://secret', name: 'secret', config: { scopes: ['notes:secret'] }, read: (uri) => ({ contents: [{ uri, text: 's' }] }) })
  app.mcp.resourceTemplate({ uriTemplate: 'notes://{id}', name: 'note', read: (uri) => ({ contents: [{ uri, text: 'n' }] }) })
  app.mcp.prompt({ name: 'review', config: { scopes: ['prompts'] }, get: () => ({ messages: [] }) })
}

const namesOf = (items: Array<{ name: string }>): string[] => items.map((item) => item.name)

test('lists show only what the token may use; the other items\' requests get 403 before dispatch', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { sessions: false, oauth: { defaultScopes: { tool: ['tools'], resource: ['notes:read'] } }, declare: declareItems })
  const weak = fixture.token(RESOURCE, { scope: 'tools' })
  const strong = fixture.token(RESOURCE, { scope: 'tools notes:write notes:read notes:secret prompts' })

  assert.deepEqual(namesOf((await post(app, rpc(1, 'tools/list'), weak)).json().result.tools), ['whoami', 'read'])
  assert.deepEqual(namesOf((await post(app, rpc(1, 'tools/list'), strong)).json().result.tools), ['whoami', 'read', 'write'])
  assert.deepEqual((await post(app, rpc(1, 'resources/list'), weak)).json().result.resources, [])
  assert.deepEqual((await post(app, rpc(1, 'resources/templates/list'), weak)).json().result.resourceTemplates, [])
  assert.deepEqual(namesOf((await post(app, rpc(1, 'resources/list'), strong)).json().result.resources), ['secret'])
  assert.deepEqual((await post(app, rpc(1, 'prompts/list'), weak)).json().result.prompts, [])

  const cases: Array<[object, string]> = [
    [rpc(2, 'tools/call', { name: 'write', arguments: {} }), 'tools notes:write'],
    [rpc(3, 'resources/read', { uri: 'notes://secret' }), 'tools notes:secret'],
    [rpc(4, 'resources/read', { uri: 'notes://42' }), 'tools notes:read'],
    [rpc(5, 'resources/subscribe', { uri: 'notes://42' }), 'tools notes:read'],
    [rpc(6, 'prompts/get', { name: 'review' }), 'tools prompts']
  ]
  for (const [body, scope] of cases) {
    const refused = await post(app, body, weak)
    assert.equal(refused.statusCode, 403, JSON.stringify(body))
    const challenge = parseChallenge(refused.headers['www-authenticate'])
    assert.equal(challenge.error, 'insufficient_scope')
    assert.equal(challenge.scope, scope)
    assert.equal(refused.json().error, 'insufficient_scope')
    assert.equal((await post(app, body, strong)).statusCode, 200, JSON.stringify(body))
  }
})

test('a 2025-03-26 batch is refused as a whole when one of its calls lacks a scope', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { sessions: false, declare: declareItems })
  const token = fixture.token(RESOURCE, { scope: 'mcp' })
  const batch = [rpc(1, 'tools/call', { name: 'read', arguments: {} }), rpc(2, 'tools/call', { name: 'write', arguments: {} })]
  const refused = await post(app, batch, token, { 'mcp-protocol-version': '2025-03-26' })
  assert.equal(refused.statusCode, 403)
  assert.equal(parseChallenge(refused.headers['www-authenticate']).scope, 'mcp notes:write')
  const allowed = await post(app, [batch[0]], token, { 'mcp-protocol-version': '2025-03-26' })
  assert.equal(allowed.statusCode, 200)
})

test('endpoint-wide required scopes: 401 names them, a token without them gets 403', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { oauth: { requiredScopes: ['mcp'] } })
  const refused = await post(app, rpc(1, 'ping'), fixture.token(RESOURCE, { scope: 'other' }))
  assert.equal(refused.statusCode, 403)
  assert.deepEqual(parseChallenge(refused.headers['www-authenticate']).scope, 'other mcp')
  const metadata = (await app.inject('/.well-known/oauth-protected-resource/mcp')).json()
  assert.deepEqual(metadata.scopes_supported, ['mcp'])
})

test('rate limits: per principal, with per-tool budgets, 429 JSON-RPC errors with Retry-After and a diagnostics event', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const events: RateLimitedEvent[] = []
  const listener = (event: unknown): void => { events.push(event as RateLimitedEvent) }
  subscribe('mcp-fastify:rate-limited', listener)
  t.after(() => unsubscribe('mcp-fastify:rate-limited', listener))
  const app = await securedApp(t, fixture, {
    sessions: false,
    oauth: { rateLimit: { max: 5, timeWindowMs: 60_000, tools: { write: { max: 1 } } } },
    declare: declareItems
  })
  const alice = fixture.token(RESOURCE, { scope: 'notes:write' })
  const bob = fixture.token(RESOURCE, { sub: 'bob', scope: 'notes:write' })
  assert.equal((await post(app, rpc(1, 'tools/call', { name: 'write', arguments: {} }), alice)).statusCode, 200)
  const overTool = await post(app, rpc(2, 'tools/call', { name: 'write', arguments: {} }), alice)
  assert.equal(overTool.statusCode, 429)
  assert.equal(overTool.json().id, 2)
  assert.equal(overTool.json().error.code, -32000)
  assert.ok(Number(overTool.headers['retry-after']) >= 1)
  assert.deepEqual(events, [{ key: 'principal:alice', tool: 'write', budget: 'tool' }])
  // Bob has budgets of his own.
  assert.equal((await post(app, rpc(3, 'tools/call', { name: 'write', arguments: {} }), bob)).statusCode, 200)
  // Alice's endpoint budget: 5 requests (2 used).
  for (let i = 0; i < 3; i++) assert.equal((await post(app, rpc(10 + i, 'ping'), alice)).statusCode, 200)
  const overEndpoint = await post(app, rpc(20, 'ping'), alice)
  assert.equal(overEndpoint.statusCode, 429)
  assert.deepEqual(events.at(-1), { key: 'principal:alice', tool: undefined, budget: 'endpoint' })
})

test('offline_access is never asked for: left out of scopes_supported and of challenges (2026-07-28)', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { oauth: { requiredScopes: ['mcp', 'offline_access'], scopesSupported: ['mcp', 'offline_access', 'admin'] } })
  const metadata = (await app.inject('/.well-known/oauth-protected-resource/mcp')).json()
  assert.deepEqual(metadata.scopes_supported, ['mcp', 'admin'])
  const refused = await post(app, rpc(1, 'ping'), fixture.token(RESOURCE, { scope: 'other' }))
  assert.equal(refused.statusCode, 403)
  assert.equal(parseChallenge(refused.headers['www-authenticate']).scope, 'other mcp')
})

test('2026-07-28 requests are authorized one by one: scopes checked per request, 403 before dispatch', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, { declare: declareItems })
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} }
  const call = rpc(1, 'tools/call', { name: 'write', arguments: {}, _meta: meta })
  const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'write' }
  const refused = await post(app, call, fixture.token(RESOURCE, { scope: 'mcp' }), headers)
  assert.equal(refused.statusCode, 403)
  assert.equal(parseChallenge(refused.headers['www-authenticate']).scope, 'mcp notes:write')
  const done = await post(app, call, fixture.token(RESOURCE, { scope: 'mcp notes:write' }), headers)
  assert.equal(done.statusCode, 200)
  assert.deepEqual(done.json().result.content, [{ type: 'text', text: 'written' }])
  assert.equal(done.headers['mcp-session-id'], undefined)
})

test('least privilege: a 401 names the scopes of a basic session, not the extra scopes of single tools', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, {
    sessions: false,
    oauth: { requiredScopes: ['mcp'], defaultScopes: { tool: ['tools'], resource: ['notes:read'] }, scopesSupported: ['mcp', 'tools', 'notes:read', 'notes:write', 'admin'] },
    declare: declareItems
  })
  const challenge = parseChallenge((await post(app, rpc(1, 'ping'), undefined)).headers['www-authenticate'])
  assert.equal(challenge.scope, 'mcp tools notes:read')
  // The metadata still lists everything, for clients that want to ask for more up front.
  assert.deepEqual((await app.inject('/.well-known/oauth-protected-resource/mcp')).json().scopes_supported, ['mcp', 'tools', 'notes:read', 'notes:write', 'admin'])
  // A bad token's 401 says the same.
  assert.equal(parseChallenge((await post(app, rpc(1, 'ping'), 'not-a-jwt')).headers['www-authenticate']).scope, 'mcp tools notes:read')
  // With the basic session's token, a tool that needs more gets the 403 step-up naming it.
  const basic = fixture.token(RESOURCE, { scope: 'mcp tools notes:read' })
  const refused = await post(app, rpc(2, 'tools/call', { name: 'write', arguments: {} }), basic)
  assert.equal(refused.statusCode, 403)
  assert.equal(parseChallenge(refused.headers['www-authenticate']).scope, 'mcp tools notes:read notes:write')
})

test('challengeScopes replaces the basic session; an empty list leaves scope out (clients then ask for scopes_supported)', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const custom = await securedApp(t, fixture, { oauth: { defaultScopes: { tool: ['tools'] }, challengeScopes: ['openid', 'tools', 'offline_access'] } })
  assert.equal(parseChallenge((await post(custom, rpc(1, 'ping'), undefined)).headers['www-authenticate']).scope, 'openid tools')
  const none = await securedApp(t, fixture, { oauth: { defaultScopes: { tool: ['tools'] }, challengeScopes: [] } })
  assert.equal(parseChallenge((await post(none, rpc(1, 'ping'), undefined)).headers['www-authenticate']).scope, undefined)
})

test('at boot, a warning names advertised scopes the issuer does not list in scopes_supported', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  fixture.metadataExtra = { scopes_supported: ['openid', 'tools'] }
  const logs: LogLine[] = []
  const app = await securedApp(t, fixture, { logs, oauth: { defaultScopes: { tool: ['tools'] }, scopesSupported: ['tools', 'admin', 'offline_access'] } })
  const scopeWarnings = (): LogLine[] => logs.filter((line) => line.level === 40 && /scopes_supported/.test(String(line.msg)))
  // Checked when the app got ready, without delaying it: the warning comes once the issuer answers.
  while (scopeWarnings().length === 0) await new Promise((resolve) => setImmediate(resolve))
  const [warning] = scopeWarnings()
  assert.ok(warning !== undefined)
  assert.deepEqual(warning.scopes, ['admin'])
  assert.match(String(warning.msg), /advertises scopes the authorization server does not list in scopes_supported: admin/)
  assert.deepEqual(await app.mcpOAuth.unsupportedScopes(), ['admin'])

  // An issuer that lists them all, or lists none, gets no warning.
  for (const extra of [{ scopes_supported: ['tools', 'admin'] }, {}]) {
    fixture.metadataExtra = extra
    const quiet: LogLine[] = []
    const other = await securedApp(t, fixture, { logs: quiet, oauth: { defaultScopes: { tool: ['tools'] }, scopesSupported: ['tools', 'admin'] } })
    assert.deepEqual(await other.mcpOAuth.unsupportedScopes(), [])
    assert.equal(quiet.filter((line) => line.level === 40).length, 0)
  }
})
