// Regression (issue 9): while the authorization server was down, every request that needed it
// asked it again: discovery was retried on each request (two or three metadata URLs each time),
// and so was a stale metadata document past its max age, so a struggling issuer got the full
// traffic of every node, and each client waited for the attempt to fail. Now a failure is
// remembered: the issuer is asked again only after a back-off (1 s, doubling up to
// `issuerBackoffMaxMs`), requests meanwhile get 503 at once with Retry-After, and what was already
// known (metadata, keys) keeps serving.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FixtureIssuer, initializeBody, post, RESOURCE, securedApp } from '../../packages/mcp-oauth/test/helpers.ts'

const AS_METADATA = '/.well-known/oauth-authorization-server'
const OIDC_METADATA = '/.well-known/openid-configuration'

test('an issuer whose discovery fails is not asked again on every request: 503 with Retry-After meanwhile', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const fixture = await FixtureIssuer.start(t)
  fixture.failing.set(AS_METADATA, 503)
  fixture.failing.set(OIDC_METADATA, 503)
  const app = await securedApp(t, fixture, { sessions: false })
  const token = fixture.token(RESOURCE)
  for (let i = 0; i < 5; i++) {
    const response = await post(app, initializeBody(), token)
    assert.equal(response.statusCode, 503)
    assert.ok(Number(response.headers['retry-after']) >= 1, 'Retry-After says when to come back')
  }
  assert.equal(fixture.count(AS_METADATA), 1, 'asked once, not five times')
  assert.equal(fixture.count(OIDC_METADATA), 1)

  // After the back-off, one request asks again; the issuer is back.
  fixture.failing.clear()
  t.mock.timers.tick(1000)
  assert.equal((await post(app, initializeBody(), token)).statusCode, 200)
  assert.equal(fixture.count(AS_METADATA), 2)
})

test('past its max age, metadata the issuer cannot renew keeps serving, and is not asked for on every request', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const fixture = await FixtureIssuer.start(t)
  const app = await securedApp(t, fixture, {
    sessions: false,
    oauth: { metadataMaxAgeMs: 60_000, verification: 'introspection', introspection: { clientId: 'rs', clientSecret: 'secret' } }
  })
  const exp = Math.floor(Date.now() / 1000) + 3600
  for (let i = 0; i < 6; i++) fixture.active.set(`token-${i}`, { sub: 'alice', aud: RESOURCE, exp })
  assert.equal((await post(app, initializeBody(), 'token-0')).statusCode, 200)
  assert.equal(fixture.count(AS_METADATA), 1)

  fixture.failing.set(AS_METADATA, 500)
  fixture.failing.set(OIDC_METADATA, 500)
  t.mock.timers.tick(61_000)
  // Each new token needs the introspection endpoint, from the metadata.
  for (let i = 1; i < 6; i++) assert.equal((await post(app, initializeBody(), `token-${i}`)).statusCode, 200)
  assert.equal(fixture.count(AS_METADATA), 2, 'one renewal attempt, then the back-off')
})
