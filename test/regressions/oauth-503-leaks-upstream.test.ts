// Regression (issue 9): a 503 for an unreachable authorization server carried the upstream detail
// in its body: the issuer's internal URLs, the metadata URLs tried, the socket error
// (`connect ECONNREFUSED 10.0.0.5:8443`), an introspection endpoint's status; the root
// `/.well-known/oauth-authorization-server` copy did the same through Fastify's error envelope.
// That maps a private network for anyone who asks. Now every such body says only that the
// authorization server cannot be reached; the detail goes to the log, where operators look.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FixtureIssuer, initializeBody, post, RESOURCE, securedApp, type LogLine } from '../../packages/mcp-oauth/test/helpers.ts'

const GENERIC = 'Service Unavailable: the authorization server cannot be reached'

test('503 bodies name no internal URL nor upstream error; the log has the detail', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  const logs: LogLine[] = []
  const app = await securedApp(t, fixture, { sessions: false, logs, oauth: { issuer: 'http://127.0.0.1:9' } })
  const response = await post(app, initializeBody(), fixture.token(RESOURCE, { iss: 'http://127.0.0.1:9' }))
  assert.equal(response.statusCode, 503)
  assert.deepEqual(response.json(), { jsonrpc: '2.0', error: { code: -32000, message: GENERIC } })
  assert.doesNotMatch(response.body, /127\.0\.0\.1|ECONNREFUSED|well-known/)

  const copy = await app.inject('/.well-known/oauth-authorization-server')
  assert.equal(copy.statusCode, 503)
  assert.doesNotMatch(copy.body, /127\.0\.0\.1|ECONNREFUSED|well-known/)
  assert.equal(copy.json().message, GENERIC)
  assert.ok(Number(copy.headers['retry-after']) >= 1)

  assert.ok(logs.some((line) => line.level >= 40 && /ECONNREFUSED/.test(JSON.stringify(line)) && /127\.0\.0\.1:9/.test(JSON.stringify(line))),
    'the log names the issuer and the cause')
})

test('an introspection endpoint\'s failure is not relayed either', async (t) => {
  const fixture = await FixtureIssuer.start(t)
  fixture.failing.set('/introspect', 500)
  const app = await securedApp(t, fixture, {
    sessions: false,
    oauth: { verification: 'introspection', introspection: { clientId: 'rs', clientSecret: 'secret' } }
  })
  const response = await post(app, initializeBody(), 'opaque')
  assert.equal(response.statusCode, 503)
  assert.deepEqual(response.json(), { jsonrpc: '2.0', error: { code: -32000, message: GENERIC } })
})
